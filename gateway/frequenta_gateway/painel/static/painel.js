// The retention workspace's shared code: the session (token in sessionStorage), calls to the
// REST API with it, the role guard of each page, DOM building without innerHTML (no data is
// ever parsed as HTML), pt-BR formats and the charts (Chart.js, when installed).
"use strict";

const Painel = (() => {
  const KEY = "frequenta.sessao";
  const body = document.body;
  const zone = body.dataset.fuso || "America/Sao_Paulo";

  class ApiError extends Error {
    constructor(status, erro, path) {
      super((erro && erro.mensagem) || `HTTP ${status}`);
      this.status = status;
      this.codigo = erro && erro.codigo;
      this.detalhes = (erro && erro.detalhes) || [];
      this.path = path;
    }
    // The server does not offer this route (yet): the page shows "indisponível".
    get unavailable() {
      return (this.status === 404 && this.codigo === "NOT_FOUND") || [405, 501].includes(this.status);
    }
  }

  function session() {
    try {
      return JSON.parse(sessionStorage.getItem(KEY));
    } catch {
      return null;
    }
  }

  function save(token) {
    sessionStorage.setItem(KEY, JSON.stringify({
      token: token.access_token, papel: token.papel, aluno_id: token.aluno_id,
      login: token.login, expira_em: Date.now() + token.expires_in * 1000,
    }));
  }

  function toLogin() {
    sessionStorage.removeItem(KEY);
    const back = location.pathname + location.search;
    location.assign(`/painel/login?voltar=${encodeURIComponent(back)}`);
  }

  async function api(path, { method = "GET", json } = {}) {
    const current = session();
    if (!current) {
      toLogin();
      throw new ApiError(401, { mensagem: "Sessão encerrada." }, path);
    }
    const headers = { Authorization: `Bearer ${current.token}`, Accept: "application/json" };
    if (json !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(path, {
      method, headers, body: json === undefined ? undefined : JSON.stringify(json),
    });
    if (response.status === 401) {
      toLogin();
      throw new ApiError(401, { mensagem: "Sessão expirada: entre de novo." }, path);
    }
    const type = response.headers.get("content-type") || "";
    const data = type.includes("json") ? await response.json() : null;
    if (!response.ok) throw new ApiError(response.status, data && data.erro, path);
    return data;
  }

  function query(params) {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(params)) {
      if (value !== undefined && value !== null && value !== "") search.set(name, value);
    }
    const text = search.toString();
    return text ? `?${text}` : "";
  }

  // el("td", {class: "x"}, "text", child): children are text nodes or elements.
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === false || value === null || value === undefined) continue;
      if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function fill(target, ...children) {
    const node = typeof target === "string" ? document.getElementById(target) : target;
    node.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined));
    node.dataset.carregado = "sim"; // filled from the API at least once (tests wait on it)
    return node;
  }

  // A status line: the API's message, or "indisponível" for a route the server lacks.
  function state(id, error, fallback) {
    const node = document.getElementById(id);
    if (!node) return;
    if (!error && !fallback) {
      node.hidden = true;
      return;
    }
    node.hidden = false;
    node.className = error ? "estado erro" : "estado";
    if (error && error.unavailable) {
      node.classList.add("indisponivel");
      node.textContent = `Indisponível: este servidor ainda não oferece ${error.path.split("?")[0]}.`;
    } else if (error) {
      const details = error.detalhes.map((d) => `${d.campo}: ${d.mensagem}`).join("; ");
      node.textContent = details ? `${error.message} (${details})` : error.message;
    } else {
      node.textContent = fallback;
    }
  }

  // Codes of the API in words, where replacing "_" by a space is not enough.
  const WORDS = {
    preco: "preço", mudanca: "mudança", saude: "saúde", insatisfacao: "insatisfação",
    concorrencia: "concorrência", desmotivacao: "desmotivação", nao_informado: "não informado",
    recepcao: "recepção", importacao: "importação",
  };

  const fmt = {
    date: (iso) => (iso ? new Date(iso.length === 10 ? `${iso}T12:00:00Z` : iso)
      .toLocaleDateString("pt-BR", { timeZone: iso.length === 10 ? "UTC" : zone }) : "—"),
    dateTime: (iso) => (iso ? new Date(iso).toLocaleString("pt-BR", {
      timeZone: zone, dateStyle: "short", timeStyle: "short" }) : "—"),
    pct: (x, digits = 0) => (x === null || x === undefined ? "—"
      : `${(100 * x).toLocaleString("pt-BR", { maximumFractionDigits: digits, minimumFractionDigits: digits })}%`),
    num: (x, digits = 1) => (x === null || x === undefined ? "—"
      : x.toLocaleString("pt-BR", { maximumFractionDigits: digits })),
    words: (code) => (code ? WORDS[code] || String(code).replaceAll("_", " ") : "—"),
  };

  // A Chart.js chart on canvas `id`; a note instead when Chart.js is not installed.
  const charts = {};
  function chart(id, config) {
    const canvas = document.getElementById(id);
    if (charts[id]) charts[id].destroy();
    if (!window.Chart) {
      canvas.replaceWith(el("p", { class: "estado", id }, "Gráfico indisponível: Chart.js não foi instalado (make web)."));
      return null;
    }
    config.options = { animation: false, maintainAspectRatio: false, ...(config.options || {}) };
    canvas.parentElement.classList.add("com-grafico");
    charts[id] = new window.Chart(canvas, config);
    return charts[id];
  }

  function guard() {
    const page = body.dataset.pagina;
    if (page === "login") return null;
    const current = session();
    if (!current || current.expira_em < Date.now()) {
      toLogin();
      return null;
    }
    const roles = (body.dataset.papeis || "").split(" ");
    const own = current.papel === "aluno" && String(current.aluno_id) === body.dataset.aluno;
    if (current.papel === "aluno" && !own) {
      location.replace(`/painel/aluno/${current.aluno_id}`);
      return null;
    }
    if (!roles.includes(current.papel)) {
      toLogin();
      return null;
    }
    const staff = current.papel === "admin" || current.papel === "equipe";
    for (const node of document.querySelectorAll("[data-so-equipe]")) node.hidden = !staff;
    for (const node of document.querySelectorAll("[data-so-admin]")) node.hidden = current.papel !== "admin";
    fill("usuario", `${current.login || current.papel} (${current.papel})`);
    document.getElementById("sair").addEventListener("click", () => {
      sessionStorage.removeItem(KEY);
      location.assign("/painel/login");
    });
    return current;
  }

  // Runs the page's main function once the session is checked.
  function page(main) {
    const start = () => {
      const current = guard();
      if (current) main(current).catch((error) => state("estado", error));
    };
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
    else start();
  }

  return { ApiError, api, chart, el, fill, fmt, page, query, save, session, state, toLogin };
})();
