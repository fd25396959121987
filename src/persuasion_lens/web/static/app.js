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
  const pct = (x) => `${Math.round(x * 100)}%`; // for widths; numbers are shown with decimals()
  // Two decimals, as the terminal report prints them (Python's f"{x:.2f}"): toFixed, except that
  // an exact half (0.125, 0.375: an odd number of eighths) goes to the even digit, as in Python.
  function decimals(x) {
    const eighths = x * 8;
    if (!Number.isInteger(eighths) || eighths % 2 === 0) return x.toFixed(2);
    const hundredths = Math.floor(x * 100);
    return ((hundredths % 2 ? hundredths + 1 : hundredths) / 100).toFixed(2);
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
    node.style.setProperty("--bg", c + "1f");
    node.style.setProperty("--bg-strong", c + "45");
    node.style.setProperty("--bd", c + "55");
    return node;
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
    } catch (error) {
      showMessage("The server did not answer; is `plens serve` still running?");
    }
  }

  /* ---------- input ---------- */
  function wireInput() {
    $("analyse").addEventListener("click", analyse);
    $("text").addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) analyse();
    });
    $("file").addEventListener("change", () => setFile($("file").files[0] || null));
    $("clear-file").addEventListener("click", () => setFile(null));
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
        showMessage(`The file is ${sizeText(state.file.size)}; the server accepts up to ${sizeText(maxBytes)}.`);
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
        showMessage("Paste an article or open a file first.");
        $("text").focus();
        return;
      }
      if (new Blob([text]).size > maxBytes) {
        showMessage(`The text is larger than the server's limit of ${sizeText(maxBytes)}.`);
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
        showMessage(body.detail ? String(body.detail) : `The server answered ${response.status}.`);
        return;
      }
      showResult(body);
    } catch (error) {
      showMessage("The server could not be reached; is `plens serve` still running?");
    } finally {
      button.disabled = false;
      button.replaceChildren("Analyse");
    }
  }

  /* ---------- results ---------- */
  function wireResults() {
    const slider = $("confidence");
    slider.addEventListener("input", () => {
      state.floor = Number(slider.value) / 100;
      $("confidence-value").textContent = decimals(state.floor);
      render();
    });
    $("download-json").addEventListener("click", downloadJson);
    $("download-html").addEventListener("click", downloadHtml);
    document.addEventListener("click", (event) => {
      if (!event.target.closest("mark.hl, .tag, .tip")) hideTip(true);
    });
    document.addEventListener("keydown", (event) => { if (event.key === "Escape") hideTip(true); });
    window.addEventListener("scroll", () => { if (!state.pinned) hideTip(); }, { passive: true });
  }

  function showResult(result) {
    state.result = result;
    state.hidden.clear();
    state.cycle.clear();
    state.floor = 0;
    $("confidence").value = 0;
    $("confidence-value").textContent = "0.00";
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
      const rest = [more.length ? `and ${more.length} more main actors` : "",
        minor.length ? `${minor.length} other names found that the article probably casts in no role` : ""].filter(Boolean).join("; ");
      const leftOut = [...more.map((e) => [e, "main actor"]), ...minor.map((e) => [e, "minor"])];
      item("Roles", ...shown.flatMap((e, i) => [i ? "; " : "", describeEntity(e)]), experimental(),
        rest ? el("details", { class: "more-names" }, el("summary", { class: "prob", text: rest }),
          el("ul", {}, ...leftOut.map(([e, kind]) => el("li", {}, describeEntity(e),
            el("span", { class: "prob", text: ` (${kind})` }))))) : "");
    }
    $("warnings").replaceChildren(...(r.warnings || []).map((w) => el("div", { class: "warning", text: `⚠ ${w}` })));
  }

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

  function render() {
    hideTip(true);
    const r = state.result;
    if (!r) return;
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
      const mark = el("mark", {
        class: "hl" + (covering.length > 1 ? " multi" : "") + (covering[0].loosely_placed ? " loose" : ""),
        tabindex: "0",
        dataset: { key, technique: covering[0].technique, category: covering[0].category },
      }, piece);
      mark.spans = covering;
      paint(mark, covering[0].category);
      mark.addEventListener("mouseenter", () => { if (!state.pinned) showTip(mark, mark.spans); });
      mark.addEventListener("mouseleave", () => { if (!state.pinned) hideTip(); });
      mark.addEventListener("click", (event) => { event.stopPropagation(); pin(mark); });
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
    const tag = el("button", { type: "button", class: "tag", dataset: { technique: hit.technique } },
      labelOf(hit.technique), el("span", { class: "conf", text: decimals(hit.confidence) }));
    paint(tag, hit.category);
    const info = [{ ...hit, paragraph: true, text: null, explanation: `Found in paragraph ${paragraph.index + 1}.` }];
    tag.addEventListener("click", (event) => { event.stopPropagation(); pin(tag, info); });
    return tag;
  }

  function renderLegend(counts) {
    const legend = $("legend");
    legend.replaceChildren();
    for (const c of state.taxonomy ? state.taxonomy.categories : []) {
      const chip = el("span", { class: "legend-item" + (state.hidden.has(c.name) ? " off" : ""), title: c.description },
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
      const item = el("li", { title: `${t.definition || ""}\nClick (or Enter) to go to the next place it is used.`, dataset: { technique: name }, tabindex: "0", role: "button" },
        el("span", { class: "tname" }, el("span", { class: "dot" }), labelOf(name)),
        el("span", { class: "count", text: count }),
        el("span", { class: "bar" }, bar));
      paint(item, t.category);
      item.addEventListener("click", () => jumpTo(name));
      item.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          jumpTo(name);
        }
      });
      list.append(item);
    }
    $("no-techniques").hidden = sorted.length > 0;
  }

  /* Scroll to the next highlight (or paragraph tag) of a technique. */
  function jumpTo(name) {
    let targets = [...document.querySelectorAll("#article mark.hl")].filter((m) => m.spans.some((s) => s.technique === name));
    if (!targets.length) targets = [...document.querySelectorAll(`#article .tag`)].filter((t) => t.dataset.technique === name);
    if (!targets.length) return;
    const index = ((state.cycle.get(name) ?? -1) + 1) % targets.length;
    state.cycle.set(name, index);
    const target = targets[index];
    target.scrollIntoView({ behavior: "smooth", block: "center" });
    target.classList.remove("flash");
    void target.offsetWidth; // restart the animation
    target.classList.add("flash");
  }

  /* ---------- tooltip ---------- */
  function pin(node, items) {
    if (state.pinned === node) { hideTip(true); return; }
    hideTip(true);
    state.pinned = node;
    node.classList.add("active");
    showTip(node, items || node.spans);
  }

  function showTip(node, items) {
    const tip = $("tip");
    tip.replaceChildren(...items.map((s) => {
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
      paint(block, s.category);
      return block;
    }));
    tip.hidden = false;
    const box = node.getBoundingClientRect();
    const width = tip.offsetWidth;
    const height = tip.offsetHeight;
    let left = Math.min(Math.max(8, box.left), window.innerWidth - width - 12);
    let top = box.bottom + 8;
    if (top + height > window.innerHeight - 8 && box.top - height - 8 > 8) top = box.top - height - 8;
    tip.style.left = `${left}px`;
    tip.style.top = `${top}px`;
  }

  function hideTip(unpin = false) {
    if (unpin && state.pinned) {
      state.pinned.classList.remove("active");
      state.pinned = null;
    }
    if (!state.pinned) $("tip").hidden = true;
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
