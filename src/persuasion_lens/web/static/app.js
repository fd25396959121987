/* persuasion-lens web app: plain JavaScript, no libraries, nothing loaded from the internet.
 *
 * The page asks the server for one analysis (POST /api/analyze) and then does all filtering in
 * the browser: the confidence slider and the category switches redraw the highlights from the
 * spans and paragraph techniques of that one response.
 */
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const state = {
    info: null,
    taxonomy: null,
    techniques: new Map(), // name -> technique
    categories: new Map(), // name -> category
    result: null,
    floor: 0, // minimum confidence, 0..1
    hidden: new Set(), // hidden category names
    file: null,
    pinned: null, // the mark whose tooltip is pinned
    anchor: null, // the mark or tag whose tooltip is shown, pinned or not
    drawnFloor: null, // the confidence floor the article was last drawn with
    cycle: new Map(), // technique -> index of the highlight shown last
  };

  // Spans the model placed loosely (docs/spans.md); the words of results.LOOSE_PLACEMENT_MEANING.
  const LOOSE_NOTE = "Loosely placed: the technique is likely in the paragraph, but the model is "
    + "unsure which words carry it.";

  /* ---------- helpers ---------- */
  function el(tag, props = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key === "vars") for (const [v, c] of Object.entries(value)) node.style.setProperty(v, c);
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (key === "dataset") Object.assign(node.dataset, value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }
  // "1 word", "2 words", as the command line's wording.counted writes them
  const counted = (count, noun) => `${count.toLocaleString("en")} ${noun}${count === 1 ? "" : "s"}`;
  const pct = (x) => `${Math.round(x * 100)}%`; // for widths; numbers are shown with decimals()
  // Two decimals as the terminal and the HTML report write them (wording.two_decimals): the
  // four decimals the JSON carries, rounded to two with halves up (0.995 "1.00", 0.125 "0.13");
  // whole numbers of ten-thousandths, so that no binary fraction tips a half either way.
  function decimals(x) {
    const tenThousandths = Math.round(Math.abs(x) * 10000);
    const hundredths = Math.floor((tenThousandths + 50) / 100);
    return (x < 0 && hundredths ? "-" : "") + (hundredths / 100).toFixed(2);
  }
  const withProbability = (p) => el("span", { class: "prob", text: ` (${decimals(p)})` });
  const colourOf = (categoryName) => (state.categories.get(categoryName) || {}).colour || "#6b7686";
  const labelOf = (name) => (state.techniques.get(name) || {}).label || name.replace(/[_-]+/g, " ");
  const pretty = (s) => s.replace(/_/g, " ");
  const squash = (s) => (s || "").toLowerCase().replace(/[^\p{L}\p{N}]+/gu, " ").trim();
  // Does the explanation already quote the definition? Then it is not shown twice.
  const repeats = (explanation, definition) => squash(explanation).includes(squash(definition).slice(0, 40));
  function paint(node, categoryName) {
    const c = colourOf(categoryName);
    node.style.setProperty("--c", c);
    node.style.setProperty("--fg", readableInk(c));
    node.style.setProperty("--bg", c + "1f");
    node.style.setProperty("--bg-strong", c + "45");
    node.style.setProperty("--bd", c + "55");
    return node;
  }
  // WCAG relative luminance and contrast ratio of [r, g, b] colours (0..255).
  function luminance(rgb) {
    const [r, g, b] = rgb.map((v) => (v / 255 <= 0.03928 ? v / 255 / 12.92 : ((v / 255 + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  }
  const contrast = (a, b) => (Math.max(luminance(a), luminance(b)) + 0.05) / (Math.min(luminance(a), luminance(b)) + 0.05);
  /* Text in a category's colour (technique tags, the dialog's headings): the colour darkened
     until it reads at 5:1 on its strong tint over white (the light half of the palette gives
     3.4-3.8:1 there undarkened), so that it stays recognisable. */
  function readableInk(hex) {
    const rgb = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
    if (rgb.some(Number.isNaN)) return hex;
    const alpha = 0x45 / 255;
    const tint = rgb.map((v) => v * alpha + 255 * (1 - alpha));
    let ink = rgb;
    for (let i = 0; i < 30 && contrast(ink, tint) < 5.1; i += 1) ink = ink.map((v) => v * 0.92);
    return `rgb(${ink.map(Math.round).join(", ")})`;
  }
  function showMessage(text, kind = "error") {
    const box = $("message");
    box.textContent = text;
    box.className = kind === "error" ? "message" : "message info";
    box.hidden = !text;
  }
  const visible = (item) => item.confidence >= state.floor - 1e-9 && !state.hidden.has(item.category);

  /* ---------- start-up ---------- */
  async function init() {
    trackTopbar();
    wireInput();
    wireResults();
    try {
      const [info, taxonomy] = await Promise.all([
        fetch("/api/info").then((r) => r.json()),
        fetch("/api/techniques").then((r) => r.json()),
      ]);
      state.info = info;
      state.taxonomy = taxonomy;
      taxonomy.techniques.forEach((t) => state.techniques.set(t.name, t));
      taxonomy.categories.forEach((c) => state.categories.set(c.name, c));
      for (const [code, name] of Object.entries(info.languages)) {
        $("lang").append(el("option", { value: code, text: name }));
      }
      $("corpus-link").hidden = !info.corpus;
      $("limit").textContent = `up to ${sizeText(info.max_bytes)}`;
      buildTechniquesDialog();
      buildUnderlineKey(taxonomy.underlines || []);
    } catch (error) {
      showMessage("The server did not answer; is `plens serve` still running?");
    }
  }

  /* The sticky top bar's height, which scrolling leaves free (scroll-padding-top in app.css):
     a focused heading or highlight scrolled to the top was hidden under it. It grows when its
     links wrap on a narrow screen. */
  function trackTopbar() {
    const bar = document.querySelector(".topbar");
    const set = () => document.documentElement.style.setProperty("--topbar", `${bar.offsetHeight}px`);
    set();
    if (window.ResizeObserver) new ResizeObserver(set).observe(bar);
  }

  /* ---------- input ---------- */
  function wireInput() {
    $("analyse").addEventListener("click", analyse);
    $("text").addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) analyse();
    });
    $("file").addEventListener("change", () => setFile($("file").files[0] || null));
    $("clear-file").addEventListener("click", () => {
      setFile(null);
      $("file").focus(); // the × is hidden with the file: the keyboard goes on from the picker
    });
    $("toggle-input").addEventListener("click", () => setCompact(false));
    const area = $("text");
    area.addEventListener("dragover", (event) => { event.preventDefault(); area.classList.add("dragging"); });
    area.addEventListener("dragleave", () => area.classList.remove("dragging"));
    area.addEventListener("drop", (event) => {
      event.preventDefault();
      area.classList.remove("dragging");
      if (event.dataTransfer.files.length) setFile(event.dataTransfer.files[0]);
    });
    $("open-techniques").addEventListener("click", () => $("techniques-dialog").showModal());
    $("close-techniques").addEventListener("click", () => $("techniques-dialog").close());
  }

  // Sizes as the server writes them (decimal units), so that the page and its messages agree.
  function sizeText(bytes) {
    if (bytes < 1000) return `${bytes.toLocaleString("en")} bytes`;
    if (bytes < 100000) return `${Math.round(bytes / 1000)} kB`;
    return `${(bytes / 1e6).toFixed(1).replace(/\.0$/, "")} MB`;
  }

  function setFile(file) {
    state.file = file;
    $("file-chip").hidden = !file;
    $("file-name").textContent = file ? `${file.name} (${sizeText(file.size)})` : "";
    $("text").disabled = !!file;
    $("text").placeholder = file ? "The chosen file will be analysed." : "Paste the article here, or drop a file…";
    if (!file) $("file").value = "";
    showMessage("");
  }

  function setCompact(compact) {
    $("input-body").hidden = compact;
    $("toggle-input").hidden = !compact;
    $("input-panel").classList.toggle("compact", compact);
    $("input-title").textContent = compact ? "Analysis" : "Analyse an article";
    if (!compact) $("text").focus();
  }

  async function analyse() {
    const lang = $("lang").value;
    const maxBytes = state.info ? state.info.max_bytes : Infinity;
    let request;
    if (state.file) {
      if (state.file.size > maxBytes) {
        failAnalysis(`The file is ${sizeText(state.file.size)}; the server accepts up to ${sizeText(maxBytes)}.`);
        return;
      }
      const form = new FormData();
      form.append("file", state.file, state.file.name);
      // the name as it is: a form sends a name's '"' as %22, the same as a literal %22
      form.append("source", state.file.name);
      if (lang) form.append("lang", lang);
      request = { method: "POST", body: form };
    } else {
      const text = $("text").value;
      if (!text.trim()) {
        failAnalysis("Paste an article or open a file first.");
        $("text").focus();
        return;
      }
      if (new Blob([text]).size > maxBytes) {
        failAnalysis(`The text is larger than the server's limit of ${sizeText(maxBytes)}.`);
        return;
      }
      request = {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(lang ? { text, lang } : { text }),
      };
    }
    const button = $("analyse");
    button.disabled = true;
    button.replaceChildren(el("span", { class: "spinner" }), "Analysing…");
    showMessage("");
    try {
      const response = await fetch("/api/analyze", request);
      const body = await response.json().catch(() => ({}));
      if (!response.ok) {
        failAnalysis(body.detail ? String(body.detail) : `The server answered ${response.status}.`);
        return;
      }
      showResult(body);
    } catch (error) {
      failAnalysis("The server could not be reached; is `plens serve` still running?");
    } finally {
      button.disabled = false;
      button.replaceChildren("Analyse");
    }
  }

  /* A failed analysis hides the previous result, which read as this text's under the message. */
  function failAnalysis(text) {
    showMessage(text);
    hideTip(true);
    state.result = null;
    $("results").hidden = true;
  }

  /* ---------- results ---------- */
  // While the slider is dragged the article is redrawn once it rests this long (a redraw of a
  // 13,000-paragraph article took 4.75 s, on every step); the number follows at once.
  const SLIDER_PAUSE_MS = 200;

  function setFloor(percent) {
    state.floor = Number(percent) / 100;
    $("confidence-value").textContent = decimals(state.floor);
    $("confidence").setAttribute("aria-valuetext", decimals(state.floor));
  }

  function wireResults() {
    const slider = $("confidence");
    let pending = 0;
    const redraw = () => {
      clearTimeout(pending);
      if (state.drawnFloor !== state.floor) render();
    };
    slider.addEventListener("input", () => {
      setFloor(slider.value);
      clearTimeout(pending);
      pending = setTimeout(redraw, SLIDER_PAUSE_MS);
    });
    slider.addEventListener("change", () => { setFloor(slider.value); redraw(); });
    $("download-json").addEventListener("click", downloadJson);
    $("download-html").addEventListener("click", downloadHtml);
    document.addEventListener("click", (event) => {
      if (!event.target.closest("mark.hl, .tag, .tip")) hideTip(true);
    });
    document.addEventListener("keydown", (event) => { if (event.key === "Escape") hideTip(true); });
    // a shown tip follows its words when the page scrolls (it stayed put, over another paragraph)
    window.addEventListener("scroll", placeTip, { passive: true });
    window.addEventListener("resize", placeTip);
    const tip = $("tip");
    tip.addEventListener("mouseenter", cancelHide); // the pointer may rest on the tip (WCAG 1.4.13)
    tip.addEventListener("mouseleave", () => { if (!state.pinned) hideSoon(); });
  }

  function showResult(result) {
    state.result = result;
    state.hidden.clear();
    state.cycle.clear();
    $("confidence").value = 0;
    setFloor(0);
    $("results").hidden = false;
    setCompact(true);
    renderHeader();
    render();
    // The text box and the Analyse button were just hidden, taking the keyboard focus with
    // them: move it to the result's heading, where a keyboard or screen-reader user goes on.
    $("article-title").focus({ preventScroll: true });
    $("results").scrollIntoView({ behavior: "smooth", block: "start" });
  }

  /* The words of ArticleResult.rarely_reported_note: techniques this model practically never
     reports in the article's language, whose absence says little. */
  /* "Spanish" for a language without a model, as the command line and the HTML page say it. */
  function displayLanguage(code) {
    try {
      return new Intl.DisplayNames(["en"], { type: "language" }).of(code) || code;
    } catch (error) {
      return code;
    }
  }

  function renderRarelyReported(r, languageName) {
    const note = $("rarely-reported");
    const names = r.rarely_reported || [];
    note.hidden = !names.length;
    const total = state.taxonomy ? state.taxonomy.techniques.length : 23;
    const found = new Set(r.paragraphs.flatMap((p) => p.techniques.map((t) => t.technique)));
    const labels = (list) => list.map((n) => labelOf(n).toLowerCase()).join("; ");
    const absent = names.filter((n) => !found.has(n));
    const present = names.filter((n) => found.has(n));
    let text = `Rarely reported by this model in ${languageName} (${names.length} of ${total} techniques; under 2 in 1,000 test paragraphs), so their absence says little`;
    if (absent.length) {
      text += `: ${labels(absent)}` + (present.length ? ` (found here all the same: ${labels(present)})` : "");
    } else {
      text += "; this article has all of them";
    }
    note.textContent = names.length ? `${text}.` : "";
  }

  function renderHeader() {
    const r = state.result;
    const first = r.paragraphs.length ? r.paragraphs[0].text : "";
    const title = r.source || (first.length > 140 ? first.slice(0, 137) + "…" : first) || "Article";
    $("article-title").textContent = title;
    // a title taken from the text is in the article's language; a file name is the page's
    if (!r.source && first) $("article-title").lang = r.language;
    else $("article-title").removeAttribute("lang");
    $("underline-key").hidden = !r.paragraphs.some((p) => p.spans.length);
    const meta = $("meta");
    meta.replaceChildren();
    const languageName = (state.info && state.info.languages[r.language]) || displayLanguage(r.language);
    renderRarelyReported(r, languageName);
    const item = (term, ...value) => meta.append(el("div", {}, el("dt", { text: term }), el("dd", {}, ...value)));
    item("Language", languageName, r.language_detected ? el("span", { class: "prob", text: " (detected)" }) : "");
    if (r.genre) item("Genre", pretty(r.genre.label), withProbability(r.genre.probability));
    if (r.frames) {
      item("Frames", ...(r.frames.length
        ? r.frames.flatMap((f, i) => [i ? ", " : "", pretty(f.label), withProbability(f.probability)])
        : [el("span", { class: "prob", text: "none found" })]));
    }
    // narratives and entity roles (plens serve --narratives): experimental, so marked as such
    const experimental = () => el("span", { class: "experimental", text: " experimental" });
    const labels = (items) => items.flatMap((n, i) => [i ? "; " : "", n.label, withProbability(n.probability)]);
    if (r.narratives && r.narratives.length) {
      const other = r.narratives.length === 1 && r.narratives[0].label === "Other";
      const closest = other && (r.narrative_candidates || []).length
        ? el("span", { class: "prob", text: ` (closest, below the threshold: ${r.narrative_candidates.map((n) => `${n.label} ${decimals(n.probability)}`).join(", ")})` })
        : "";
      item("Narratives", ...labels(r.narratives), closest, experimental());
    }
    const subnarratives = (r.subnarratives || []).filter((n) => n.label !== "Other");
    if (subnarratives.length) item("Subnarratives", ...labels(subnarratives), experimental());
    if (r.side_taken) item("Side", describeSide(r.side_taken), experimental());
    if (r.entities && r.entities.length) {
      const shown = r.entities.slice(0, MAX_ENTITIES);
      // the names the role line leaves out, listed on request as the HTML report does
      const more = r.entities.slice(MAX_ENTITIES);
      const minor = r.minor_entities || [];
      const rest = [more.length ? `and ${counted(more.length, "more main actor")}` : "",
        minor.length ? `${counted(minor.length, "other name")} found that the article probably casts in no role` : ""].filter(Boolean).join("; ");
      const leftOut = [...more.map((e) => [e, "main actor"]), ...minor.map((e) => [e, "minor"])];
      item("Roles", ...shown.flatMap((e, i) => [i ? "; " : "", describeEntity(e)]), experimental(),
        rest ? el("details", { class: "more-names" }, el("summary", { class: "prob", text: rest }),
          el("ul", {}, ...leftOut.map(([e, kind]) => el("li", {}, describeEntity(e),
            el("span", { class: "prob", text: ` (${kind})` }))))) : "");
    }
    $("warnings").replaceChildren(...(r.warnings || []).map((w) => el("div", { class: "warning", text: `⚠ ${pageWording(w)}` })));
  }

  /* The analyser's warnings name the command line's --lang (and the API's lang=); on the page
     the language is chosen in its Language menu. */
  const PAGE_WORDING = [
    ["as --lang says (lang= in the API)", "as chosen in the Language menu"],
    ["give the language (--lang; lang= in the API) to be sure", "choose it in the Language menu to be sure"],
  ];
  const pageWording = (warning) => PAGE_WORDING.reduce((w, [cli, page]) => w.split(cli).join(page), warning);

  const MAX_ENTITIES = 6;

  // two decimals rounded down, as the terminal report does: 0.797 is below 0.8, never "0.80"
  function roundedDown(p) {
    return (Math.floor(p * 100 + 1e-9) / 100).toFixed(2);
  }

  // "takes the side of Russia and its allies against Ukraine and the West (0.91)", or "leans to"
  // below the probability from which the side is stated, as the terminal and HTML reports say
  function describeSide(side) {
    const verb = side.is_clear ? "takes the side of" : "leans to";
    const p = side.is_clear ? decimals(side.probability) : roundedDown(side.probability);
    return `${verb} ${side.favours} against ${side.against} (${p})`;
  }

  // "United States: Antagonist 0.80 (Conspirator) in 3 mentions", as the terminal and HTML reports say;
  // a role that contradicts the side the article takes ends with ", at odds with the side taken"
  function describeEntity(e) {
    const fine = (e.fine_roles || []).map((f) => f.label).join(", ");
    const count = (e.mentions || []).length || e.mention_count || 0;
    const sure = e.main_role_probability == null ? "" : ` ${decimals(e.main_role_probability)}`;
    const ranked = Object.entries(e.main_role_probabilities || {}).sort((a, b) => b[1] - a[1]);
    const role = e.role_is_clear === false && ranked.length
      ? `role unclear (${ranked.map(([r, p]) => `${r} ${roundedDown(p)}`).join(", ")})`
      : `${e.main_role}${sure}${fine ? ` (${fine})` : ""}`;
    const atOdds = e.at_odds_with_side ? ", at odds with the side taken" : "";
    const why = e.at_odds_with_side ? "the role model and the side reading disagree; on the " +
      "validation split such roles were right about half the time" : undefined;
    return el("span", { class: "entity-role", title: why }, el("b", { text: e.entity }),
      `: ${role} in ${count} ${count === 1 ? "mention" : "mentions"}${atOdds}`);
  }

  /* The control in a list that render() rebuilds which has the keyboard focus, as a selector
     for its successor (the rebuilt list dropped the focus to <body>). */
  function focusedControl() {
    const active = document.activeElement;
    if (!active || !active.closest("#categories, #technique-list")) return null;
    const [key, value] = active.dataset.category !== undefined
      ? ["category", active.dataset.category] : ["technique", active.dataset.technique];
    return value === undefined ? null : `#${active.closest("ul, ol").id} [data-${key}="${CSS.escape(value)}"]`;
  }

  function refocus(selector) {
    if (!selector) return;
    const again = document.querySelector(selector)
      || document.querySelector(`${selector.split(" ")[0]} button, ${selector.split(" ")[0]} input`) || $("confidence");
    again.focus({ preventScroll: true });
  }

  function render() {
    const focused = focusedControl();
    draw();
    refocus(focused);
  }

  function draw() {
    hideTip(true);
    const r = state.result;
    if (!r) return;
    state.drawnFloor = state.floor;
    const techniqueCounts = new Map();
    const categoryCounts = new Map();
    const allCategoryCounts = new Map(); // before hiding categories, for the switches
    let highlighted = 0;
    let flagged = 0;
    const article = $("article");
    article.replaceChildren();
    article.lang = r.language; // the text's own language; the page around it stays English
    for (const p of r.paragraphs) {
      const passing = p.techniques.filter((t) => t.confidence >= state.floor - 1e-9);
      passing.forEach((t) => allCategoryCounts.set(t.category, (allCategoryCounts.get(t.category) || 0) + 1));
      const techniques = passing.filter((t) => !state.hidden.has(t.category));
      techniques.forEach((t) => {
        techniqueCounts.set(t.technique, (techniqueCounts.get(t.technique) || 0) + 1);
        categoryCounts.set(t.category, (categoryCounts.get(t.category) || 0) + 1);
      });
      if (techniques.length) flagged += 1;
      const spans = p.spans.filter(visible);
      const node = el("p", { class: "par" + (p.index === 0 && p.text.length < 160 ? " title" : ""), dataset: { index: p.index } },
        el("span", { class: "par-num", text: p.index + 1, "aria-hidden": "true" }));
      const marks = segmentsOf(p, spans);
      highlighted += marks.count;
      node.append(...marks.nodes);
      if (techniques.length) {
        node.classList.add("has-techniques");
        paint(node, techniques[0].category);
        node.append(el("span", { class: "tags", lang: "en" }, techniques.map((t) => tagFor(t, p))));
      }
      article.append(node);
    }
    if (!r.paragraphs.length) article.append(el("p", { class: "empty-note", lang: "en", text: "The article has no paragraphs." }));
    const total = r.paragraphs.length;
    $("article-stats").textContent =
      `${total} paragraph${total === 1 ? "" : "s"} · ${flagged} with techniques shown · ${highlighted} highlighted passage${highlighted === 1 ? "" : "s"}` +
      (r.model_version ? ` · model ${r.model_version}` : "");
    $("visible-count").textContent = `${highlighted} highlight${highlighted === 1 ? "" : "s"} and ${[...techniqueCounts.values()].reduce((a, b) => a + b, 0)} paragraph detections shown.`;
    renderLegend(categoryCounts);
    renderCategories(allCategoryCounts);
    renderTechniqueList(techniqueCounts);
  }

  /* Cut a paragraph at every span boundary; each piece knows which spans cover it. Offsets
     count code points, as Python does; String.slice counts UTF-16 units, which differ after
     an emoji or a flag, so the text is cut as an array of code points. */
  function segmentsOf(p, spans) {
    const text = Array.from(p.text);
    const clamp = (x) => Math.max(p.start, Math.min(x, p.end));
    const cuts = new Set([p.start, p.end]);
    spans.forEach((s) => { cuts.add(clamp(s.start)); cuts.add(clamp(s.end)); });
    const ordered = [...cuts].sort((a, b) => a - b);
    const nodes = [];
    let count = 0;
    let previous = null;
    for (let i = 0; i + 1 < ordered.length; i += 1) {
      const a = ordered[i];
      const b = ordered[i + 1];
      const piece = text.slice(a - p.start, b - p.start).join("");
      const covering = spans
        .filter((s) => s.start <= a && s.end >= b)
        .sort((x, y) => (x.end - x.start) - (y.end - y.start) || y.confidence - x.confidence);
      if (!covering.length) {
        nodes.push(document.createTextNode(piece));
        previous = null;
        continue;
      }
      const key = covering.map((s) => `${s.start}:${s.end}:${s.technique}`).join("|");
      if (previous && previous.dataset.key === key) { // same spans: extend the mark
        previous.append(piece);
        continue;
      }
      // a button whose tip (technique, confidence, explanation) is its description
      const mark = el("mark", {
        class: "hl" + (covering.length > 1 ? " multi" : "") + (covering[0].loosely_placed ? " loose" : ""),
        tabindex: "0",
        role: "button",
        "aria-expanded": "false",
        dataset: { key, technique: covering[0].technique, category: covering[0].category },
      }, piece);
      mark.spans = covering;
      paint(mark, covering[0].category);
      withTip(mark, () => mark.spans);
      mark.addEventListener("mouseenter", () => { if (!state.pinned) showTip(mark, mark.spans); });
      mark.addEventListener("mouseleave", () => { if (!state.pinned) hideSoon(); });
      mark.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); pin(mark); }
      });
      nodes.push(mark);
      previous = mark;
      count += 1;
    }
    return { nodes, count };
  }

  function tagFor(hit, paragraph) {
    const tag = el("button", {
      type: "button", class: "tag", "aria-expanded": "false", dataset: { technique: hit.technique },
      "aria-label": `${labelOf(hit.technique)}, confidence ${decimals(hit.confidence)}`,
    }, labelOf(hit.technique), el("span", { class: "conf", text: decimals(hit.confidence) }));
    paint(tag, hit.category);
    const info = [{ ...hit, paragraph: true, text: null, explanation: `Found in paragraph ${paragraph.index + 1}.` }];
    withTip(tag, () => info);
    return tag;
  }

  /* A highlight or tag shows its tip while it has the keyboard focus, as the downloaded page's
     highlights do, and a click (Enter, Space) pins it. */
  function withTip(node, items) {
    node.addEventListener("focus", () => { if (!state.pinned) showTip(node, items()); });
    node.addEventListener("blur", () => { if (!state.pinned && !$("tip").matches(":hover")) hideTip(); });
    node.addEventListener("click", (event) => { event.stopPropagation(); pin(node, items()); });
  }

  /* What the underlines mean, in the words of the HTML report's key (reporting.html.UNDERLINES);
     shown with a result that has highlights. */
  function buildUnderlineKey(underlines) {
    const kinds = { solid: "", double: " multi", dotted: " loose" };
    const entries = underlines.map((u, i) => [i ? "; " : "",
      el("mark", { class: "key-sample" + (kinds[u.style] || ""), text: u.name }), ` ${u.meaning}`]);
    $("underline-key").replaceChildren("How to read the text: ", ...entries.flat(), ".");
  }

  function renderLegend(counts) {
    const legend = $("legend");
    legend.replaceChildren();
    for (const c of state.taxonomy ? state.taxonomy.categories : []) {
      const chip = el("span", { class: "legend-item" + (state.hidden.has(c.name) ? " off" : ""), title: c.description, role: "listitem" },
        el("span", { class: "swatch" }), c.name, el("b", { text: counts.get(c.name) || 0 }));
      paint(chip, c.name);
      legend.append(chip);
    }
  }

  function renderCategories(counts) {
    const list = $("categories");
    list.replaceChildren();
    for (const c of state.taxonomy ? state.taxonomy.categories : []) {
      const box = el("input", { type: "checkbox", dataset: { category: c.name } });
      box.checked = !state.hidden.has(c.name);
      box.addEventListener("change", () => {
        if (box.checked) state.hidden.delete(c.name); else state.hidden.add(c.name);
        render();
      });
      const item = el("li", { class: state.hidden.has(c.name) ? "off" : "" },
        el("label", { title: c.description }, box, el("span", { class: "swatch" }),
          el("span", { class: "name", text: c.name }), el("span", { class: "count", text: counts.get(c.name) || 0 })));
      paint(item, c.name);
      list.append(item);
    }
  }

  function renderTechniqueList(counts) {
    const list = $("technique-list");
    list.replaceChildren();
    const sorted = [...counts.entries()].sort((a, b) => b[1] - a[1] || labelOf(a[0]).localeCompare(labelOf(b[0])));
    const top = sorted.length ? sorted[0][1] : 1;
    for (const [name, count] of sorted) {
      const t = state.techniques.get(name) || { category: "" };
      const bar = el("span");
      bar.style.width = `${(100 * count) / top}%`;
      const button = el("button", { type: "button", title: `${t.definition || ""}\nClick (or Enter) to go to the next place it is used.`, dataset: { technique: name } },
        el("span", { class: "tname" }, el("span", { class: "dot" }), labelOf(name)),
        el("span", { class: "count", text: count }),
        el("span", { class: "bar" }, bar));
      button.addEventListener("click", () => jumpTo(name));
      list.append(paint(el("li", {}, button), t.category));
    }
    $("no-techniques").hidden = sorted.length > 0;
  }

  /* Scroll to the next highlight (or paragraph tag) of a technique, and move the keyboard
     focus there (it stayed in the sidebar, so Tab went on from there). */
  function jumpTo(name) {
    let targets = [...document.querySelectorAll("#article mark.hl")].filter((m) => m.spans.some((s) => s.technique === name));
    if (!targets.length) targets = [...document.querySelectorAll(`#article .tag`)].filter((t) => t.dataset.technique === name);
    if (!targets.length) return;
    const index = ((state.cycle.get(name) ?? -1) + 1) % targets.length;
    state.cycle.set(name, index);
    const target = targets[index];
    hideTip(true);
    target.focus({ preventScroll: true });
    target.scrollIntoView({ behavior: "smooth", block: "center" });
    target.classList.remove("flash");
    void target.offsetWidth; // restart the animation
    target.classList.add("flash");
  }

  /* ---------- tooltip ---------- */
  let hideTimer = 0;
  const cancelHide = () => clearTimeout(hideTimer);
  // the pointer crosses the gap between the words and their tip without losing it
  function hideSoon() {
    cancelHide();
    hideTimer = setTimeout(() => hideTip(), 300);
  }

  function pin(node, items) {
    if (state.pinned === node) { hideTip(true); return; }
    hideTip(true);
    state.pinned = node;
    node.classList.add("active");
    node.setAttribute("aria-expanded", "true");
    showTip(node, items || node.spans);
  }

  function tipItem(s) {
    const t = state.techniques.get(s.technique) || {};
    const meter = el("span");
    meter.style.width = pct(s.confidence);
    const block = el("div", { class: "item" },
      el("div", { class: "tip-head" },
        el("span", { class: "tip-technique", text: labelOf(s.technique) }),
        el("span", { class: "tip-conf", text: `${decimals(s.confidence)} confidence` })),
      el("div", { class: "meter" }, meter),
      el("div", { class: "tip-cat" }, el("span", { class: "swatch" }), s.category),
      s.text ? el("p", { class: "tip-quote", text: `“${s.text.length > 160 ? s.text.slice(0, 157).trimEnd() + "…" : s.text}”` }) : null,
      s.explanation ? el("p", { class: "tip-why", text: s.explanation }) : null,
      s.loosely_placed ? el("p", { class: "tip-loose", text: LOOSE_NOTE }) : null,
      t.definition && !repeats(s.explanation, t.definition) ? el("p", { class: "tip-def", text: t.definition }) : null);
    return paint(block, s.category);
  }

  function showTip(node, items) {
    cancelHide();
    if (state.anchor && state.anchor !== node) state.anchor.removeAttribute("aria-describedby");
    const tip = $("tip");
    tip.replaceChildren(...items.map(tipItem));
    tip.hidden = false;
    tip.scrollTop = 0;
    state.anchor = node;
    node.setAttribute("aria-describedby", "tip"); // read out with the words
    placeTip();
  }

  const clamp = (x, low, high) => Math.max(low, Math.min(x, high));

  /* Below the words, or above them where there is no room below, always inside the window and
     never over the words (the pointer could not reach them under it): a tip taller than the
     room on either side takes the larger one and scrolls. Hidden while its words are scrolled
     away. */
  function placeTip() {
    const tip = $("tip");
    const node = state.anchor;
    if (!node || tip.hidden) return;
    const box = node.getBoundingClientRect();
    const width = document.documentElement.clientWidth;
    const height = window.innerHeight;
    const margin = 8;
    tip.style.visibility = box.bottom < 0 || box.top > height ? "hidden" : "";
    tip.style.maxHeight = "";
    const below = height - box.bottom - 2 * margin;
    const above = box.top - 2 * margin;
    const fits = (room) => tip.offsetHeight <= room;
    const under = fits(below) || (!fits(above) && below >= above);
    if (!fits(under ? below : above)) tip.style.maxHeight = `${Math.max(under ? below : above, 60)}px`;
    const top = under ? box.bottom + margin : box.top - margin - tip.offsetHeight;
    tip.style.left = `${clamp(box.left, margin, Math.max(margin, width - tip.offsetWidth - margin))}px`;
    tip.style.top = `${clamp(top, margin, Math.max(margin, height - tip.offsetHeight - margin))}px`;
  }

  function hideTip(unpin = false) {
    cancelHide();
    if (unpin && state.pinned) {
      state.pinned.classList.remove("active");
      state.pinned.setAttribute("aria-expanded", "false");
      state.pinned = null;
    }
    if (state.pinned) return;
    $("tip").hidden = true;
    if (state.anchor) state.anchor.removeAttribute("aria-describedby");
    state.anchor = null;
  }

  /* ---------- downloads ---------- */
  function baseName() {
    const source = state.result && state.result.source;
    const stem = source ? source.replace(/^.*[\\/]/, "").replace(/\.[^.]*$/, "").normalize("NFC") : "";
    const kept = stem.replace(/[^\p{L}\p{N}\p{M}_.-]+/gu, "-").replace(/^[-.]+|[-.]+$/g, "");
    return Array.from(kept).slice(0, 80).join("") || "persuasion-lens";
  }

  function save(blob, name) {
    const url = URL.createObjectURL(blob);
    const link = el("a", { href: url, download: name });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  function downloadJson() {
    if (!state.result) return;
    save(new Blob([JSON.stringify(state.result, null, 2) + "\n"], { type: "application/json" }), `${baseName()}-analysis.json`);
  }

  /* What is on screen now: detections under the slider or in hidden categories are left out. */
  function shownResult() {
    const r = state.result;
    return {
      ...r,
      paragraphs: r.paragraphs.map((p) => ({
        ...p,
        techniques: p.techniques.filter(visible),
        spans: p.spans.filter(visible),
      })),
    };
  }

  async function downloadHtml() {
    if (!state.result) return;
    const button = $("download-html");
    button.disabled = true;
    try {
      const response = await fetch("/api/report.html", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(shownResult()),
      });
      if (!response.ok) {
        const body = await response.json().catch(() => ({}));
        showMessage(body.detail ? String(body.detail) : `The report could not be made (${response.status}).`);
        return;
      }
      save(await response.blob(), `${baseName()}-report.html`);
    } catch (error) {
      showMessage("The server could not be reached; is `plens serve` still running?");
    } finally {
      button.disabled = false;
    }
  }

  /* ---------- taxonomy dialog ---------- */
  function buildTechniquesDialog() {
    const body = $("techniques-body");
    body.replaceChildren();
    for (const c of state.taxonomy.categories) {
      const heading = el("h3", {}, el("span", { class: "swatch" }), c.name);
      paint(heading, c.name);
      const list = el("dl");
      for (const t of state.taxonomy.techniques.filter((x) => x.category === c.name)) {
        list.append(el("dt", { text: t.label }),
          el("dd", {}, t.definition, " ", el("span", { class: "muted", text: `Look for: ${t.look_for}` })),
          el("dd", {}, el("i", { text: `e.g. “${t.example}”` })));
      }
      body.append(heading, el("p", { class: "cat-desc", text: c.description }), list);
    }
  }

  document.addEventListener("DOMContentLoaded", init);
})();
