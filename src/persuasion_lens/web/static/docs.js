/* Renders /openapi.json as a readable reference, with local assets only (no Swagger UI CDN). */
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  function el(tag, props = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else node.setAttribute(key, value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  /* Markdown-lite: paragraphs and `code`. */
  function inline(text) {
    return (text || "").replace(/\s*\n\s*/g, " ").split(/(`[^`]+`)/).map((part) =>
      (part.startsWith("`") && part.endsWith("`") && part.length > 1 ? el("code", { text: part.slice(1, -1) }) : part));
  }
  function prose(text) {
    const box = el("div", { class: "description" });
    for (const block of (text || "").split(/\n\s*\n/)) {
      if (block.trim()) box.append(el("p", {}, inline(block)));
    }
    return box;
  }

  let spec = null;
  function resolve(schema) {
    let s = schema || {};
    for (let i = 0; i < 10 && s.$ref; i += 1) {
      const parts = s.$ref.replace(/^#\//, "").split("/");
      s = parts.reduce((node, key) => (node ? node[key] : undefined), spec) || {};
    }
    return s;
  }
  function typeOf(schema) {
    const s = resolve(schema);
    if (s.anyOf) return s.anyOf.map(typeOf).join(" | ");
    if (Array.isArray(s.type)) return s.type.join(" | "); // OpenAPI 3.1: ["string", "null"]
    if (s.type === "array") return `array of ${typeOf(s.items)}`;
    if (s.format === "binary") return "file";
    return s.type || (s.properties ? "object" : "any");
  }

  function fieldsTable(schema) {
    const s = resolve(schema);
    if (!s.properties) {
      return el("p", {}, el("span", { class: "type", text: typeOf(s) }), s.description ? [" — ", inline(s.description)] : "");
    }
    const required = new Set(s.required || []);
    const body = el("tbody");
    for (const [name, prop] of Object.entries(s.properties)) {
      const p = resolve(prop);
      body.append(el("tr", {},
        el("td", { class: "name" }, name, required.has(name) ? el("span", { class: "required", text: "required" }) : null),
        el("td", {}, el("span", { class: "type", text: typeOf(p) })),
        el("td", {}, inline(p.description || p.title || ""))));
    }
    return el("table", { class: "fields" },
      el("thead", {}, el("tr", {}, el("th", { text: "Field" }), el("th", { text: "Type" }), el("th", { text: "Description" }))), body);
  }

  function curlFor(method, path, operation) {
    const base = window.location.origin;
    const content = ((operation.requestBody || {}).content) || {};
    if (method === "get") return `curl ${base}${path}`;
    if (content["application/json"]) {
      const example = content["application/json"].example || { text: "One paragraph.\nAnother one." };
      const lines = [`curl -X POST ${base}${path} \\`, `  -H 'Content-Type: application/json' \\`,
        `  -d '${JSON.stringify(example).replace(/'/g, "'\\''")}'`];
      if (content["multipart/form-data"]) {
        lines.push("", "# or upload a file:", `curl -X POST ${base}${path} -F file=@article.html -F lang=en`);
      }
      return lines.join("\n");
    }
    return `curl -X ${method.toUpperCase()} ${base}${path}`;
  }

  function endpoint(path, method, operation) {
    const id = `${method}-${path.replace(/[^a-z0-9]+/gi, "-")}`;
    const card = el("section", { class: "card endpoint", id },
      // a heading under the page's h1, with h3s for its parts (they were h4s under no heading)
      el("h2", { class: "endpoint-head" },
        el("span", { class: `method ${method}`, text: method.toUpperCase() }),
        el("span", { class: "path", text: path }),
        el("span", { class: "summary", text: operation.summary || "" })),
      prose(operation.description));
    const params = operation.parameters || [];
    if (params.length) {
      card.append(el("h3", { text: "Parameters" }));
      const body = el("tbody");
      params.forEach((p) => body.append(el("tr", {},
        el("td", { class: "name" }, p.name, p.required ? el("span", { class: "required", text: "required" }) : null),
        el("td", {}, el("span", { class: "type", text: `${typeOf(p.schema)} (${p.in})` })),
        el("td", {}, inline(p.description || "")))));
      card.append(el("table", { class: "fields" }, body));
    }
    const request = operation.requestBody;
    if (request && request.content) {
      card.append(el("h3", { text: "Request body" }));
      for (const [type, media] of Object.entries(request.content)) {
        card.append(el("div", { class: "content-type", text: type }), fieldsTable(media.schema));
      }
    }
    const responses = operation.responses || {};
    if (Object.keys(responses).length) {
      card.append(el("h3", { text: "Responses" }));
      const list = el("ul", { class: "responses" });
      for (const [code, response] of Object.entries(responses)) {
        list.append(el("li", {}, el("span", { class: `status ${code.startsWith("2") ? "ok" : "err"}`, text: code }),
          inline(response.description || "")));
      }
      card.append(list);
    }
    card.append(el("h3", { text: "Example" }), el("pre", { text: curlFor(method, path, operation) }));
    return { card, id };
  }

  async function init() {
    try {
      spec = await fetch("/openapi.json").then((r) => r.json());
    } catch (error) {
      $("api-description").textContent = "The API description could not be loaded.";
      return;
    }
    $("api-title").replaceChildren(spec.info.title, " HTTP API", el("span", { class: "version", text: `v${spec.info.version}` }));
    $("api-description").replaceChildren(prose(spec.info.description || ""));
    const toc = $("toc");
    const list = $("endpoints");
    for (const [path, operations] of Object.entries(spec.paths || {})) {
      for (const [method, operation] of Object.entries(operations)) {
        const { card, id } = endpoint(path, method, operation);
        list.append(card);
        toc.append(el("a", { href: `#${id}` }, el("span", { class: `method ${method}`, text: method.toUpperCase() }),
          el("span", { class: "path", text: path }), el("span", { class: "muted", text: operation.summary || "" })));
      }
    }
  }

  document.addEventListener("DOMContentLoaded", init);
})();
