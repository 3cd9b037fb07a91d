// The /docs page: reads the hub's own description (/v1/openapi.json) and renders it. Builds the
// page with DOM calls only (text is never parsed as HTML), and contacts no other site.
"use strict";

(function () {
  const methods = ["get", "post", "put", "patch", "delete"];

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v;
      else e.setAttribute(k, v);
    }
    for (const c of children) {
      if (c === null || c === undefined) continue;
      e.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    }
    return e;
  }

  function anchor(text) {
    return text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
  }

  function refName(ref) {
    return ref.split("/").pop();
  }

  function resolve(doc, obj) {
    let seen = 0;
    while (obj && obj.$ref && seen++ < 10) {
      const parts = obj.$ref.replace(/^#\//, "").split("/").map(p => p.replace(/~1/g, "/").replace(/~0/g, "~"));
      obj = parts.reduce((o, p) => (o ? o[p] : undefined), doc);
    }
    return obj;
  }

  function typeText(s) {
    if (!s) return "any";
    if (s.$ref) return refName(s.$ref);
    let t = Array.isArray(s.type) ? s.type.join(" | ") : (s.type || (s.oneOf ? "one of" : "any"));
    if (t === "array" && s.items) t = "array of " + typeText(s.items);
    if (s.format) t += " (" + s.format + ")";
    return t;
  }

  // A schema as a nested list: each property with its type, whether required, and what it means.
  function schemaTree(doc, schema, depth, seen) {
    const ul = el("ul", { class: "schema" });
    if (!schema || depth > 6) return ul;
    if (schema.$ref) {
      const name = refName(schema.$ref);
      if (seen.has(name)) return ul;
      seen = new Set(seen).add(name);
      schema = resolve(doc, schema);
      if (!schema) return ul;
    }
    if (schema.enum) ul.appendChild(el("li", {}, "one of: ", el("code", {}, schema.enum.map(String).join(", "))));
    const props = schema.properties || {};
    const required = new Set(schema.required || []);
    for (const [name, p] of Object.entries(props)) {
      const li = el("li", {}, el("code", {}, name), " ", el("span", { class: "type" }, typeText(p)),
        required.has(name) ? el("span", { class: "req" }, " required") : null);
      const r = resolve(doc, p);
      if (r && r.description) li.appendChild(el("span", { class: "desc" }, " — " + r.description));
      if (r && r.enum) li.appendChild(el("span", {}, " (", el("code", {}, r.enum.map(String).join(", ")), ")"));
      const inner = p.type === "array" ? p.items : p;
      const resolved = resolve(doc, inner);
      if (resolved && (resolved.properties || resolved.additionalProperties)) {
        li.appendChild(schemaTree(doc, inner, depth + 1, seen));
      }
      ul.appendChild(li);
    }
    if (schema.type === "array" && schema.items && !schema.properties) {
      ul.appendChild(el("li", {}, "items: ", el("span", { class: "type" }, typeText(schema.items))));
      ul.appendChild(schemaTree(doc, schema.items, depth + 1, seen));
    }
    const extra = schema.additionalProperties;
    if (extra && typeof extra === "object") {
      ul.appendChild(el("li", {}, el("code", {}, "<any name>"), " ", el("span", { class: "type" }, typeText(extra))));
    }
    return ul;
  }

  function content(doc, body) {
    const div = el("div");
    for (const [type, media] of Object.entries((body && body.content) || {})) {
      div.appendChild(el("p", {}, el("code", {}, type), media.schema ? " — " + typeText(media.schema) : ""));
      if (media.schema) div.appendChild(schemaTree(doc, media.schema, 0, new Set()));
    }
    return div;
  }

  function operation(doc, path, method, op) {
    const sec = el("section", { class: "op", id: anchor(method + " " + path) });
    sec.appendChild(el("h3", {}, el("span", { class: "method " + method }, method.toUpperCase()),
      el("span", { class: "path" }, path)));
    if (op.summary) sec.appendChild(el("p", {}, el("strong", {}, op.summary)));
    const scopes = op["x-scopes"];
    sec.appendChild(el("p", { class: "scopes" }, op.security && op.security.length === 0 ? "No token needed." :
      "Token scopes: " + (scopes && scopes.length ? scopes.join(", ") : "any valid token")));
    if (op.description) sec.appendChild(el("p", { class: "desc" }, op.description));
    const params = (op.parameters || []).map(p => resolve(doc, p));
    if (params.length) {
      const t = el("table", {}, el("tr", {}, el("th", {}, "parameter"), el("th", {}, "in"), el("th", {}, "type"),
        el("th", {}, "meaning")));
      for (const p of params)
        t.appendChild(el("tr", {}, el("td", {}, el("code", {}, p.name), p.required ? el("span", { class: "req" }, " required") : null),
          el("td", {}, p.in), el("td", {}, typeText(p.schema)), el("td", { class: "desc" }, p.description || "")));
      sec.appendChild(t);
    }
    if (op.requestBody) {
      const body = resolve(doc, op.requestBody);
      sec.appendChild(el("h4", {}, "Request body"));
      if (body.description) sec.appendChild(el("p", { class: "desc" }, body.description));
      sec.appendChild(content(doc, body));
    }
    sec.appendChild(el("h4", {}, "Responses"));
    for (const [status, r] of Object.entries(op.responses || {})) {
      const resp = resolve(doc, r);
      const div = el("div", {}, el("p", {}, el("strong", {}, status), " ", resp.description || ""));
      const codes = resp["x-problem-codes"] || r["x-problem-codes"];
      if (codes) div.appendChild(el("p", {}, "codes: ", el("code", {}, codes.join(", "))));
      if (status < "300" || status === "308") div.appendChild(content(doc, resp));
      sec.appendChild(div);
    }
    return sec;
  }

  function render(doc) {
    document.getElementById("title").textContent = doc.info.title + " " + doc.info.version;
    const summary = document.getElementById("summary");
    summary.textContent = doc.info.description || "";
    summary.className = "desc";
    const main = document.getElementById("content");
    main.textContent = "";
    const toc = document.getElementById("toc");
    const byTag = new Map((doc.tags || []).map(t => [t.name, []]));
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const m of methods) {
        if (!item[m]) continue;
        const tag = (item[m].tags || ["other"])[0];
        if (!byTag.has(tag)) byTag.set(tag, []);
        byTag.get(tag).push([path, m, item[m]]);
      }
    }
    for (const [tag, ops] of byTag) {
      const info = (doc.tags || []).find(t => t.name === tag) || {};
      toc.appendChild(el("a", { href: "#" + anchor("tag " + tag) }, tag));
      main.appendChild(el("h2", { id: anchor("tag " + tag) }, tag));
      if (info.description) main.appendChild(el("p", { class: "desc" }, info.description));
      for (const [path, m, op] of ops) main.appendChild(operation(doc, path, m, op));
    }
    toc.appendChild(el("a", { href: "#schemas" }, "schemas"));
    main.appendChild(el("h2", { id: "schemas" }, "Schemas"));
    for (const [name, s] of Object.entries((doc.components && doc.components.schemas) || {})) {
      main.appendChild(el("h3", { id: "schema-" + anchor(name) }, name, " ", el("span", { class: "type" }, typeText(s))));
      if (s.description) main.appendChild(el("p", { class: "desc" }, s.description));
      main.appendChild(schemaTree(doc, { $ref: "#/components/schemas/" + name }, 0, new Set()));
    }
  }

  fetch("/v1/openapi.json")
    .then(r => (r.ok ? r.json() : Promise.reject(new Error("HTTP " + r.status))))
    .then(render)
    .catch(e => {
      const s = document.getElementById("summary");
      s.textContent = "Could not read /v1/openapi.json: " + e.message;
      s.className = "error";
    });
})();
