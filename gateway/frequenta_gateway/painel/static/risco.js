// The at-risk list (GET /alunos/risco): filters kept in the address, the day's capacity and the
// share of the expected cancellations it covers, one row per member.
"use strict";

Painel.page(async () => {
  const { api, el, fill, fmt, query, state } = Painel;
  const form = document.getElementById("filtros");
  const SIZE = 50;
  const TENURE = { "0-90": [null, 90], "91-365": [91, 365], "366-": [366, null] };
  const CONTACT = {
    controle: "grupo de controle: não contatar",
    sem_contato: "sem contato",
    contatado: "contatado",
    retorno_agendado: "retorno agendado",
  };

  const params = new URLSearchParams(location.search);
  for (const name of ["nivel_minimo", "matricula", "capacidade"]) {
    if (params.has(name)) form.elements[name].value = params.get(name);
  }
  const plans = await api("/planos");
  fill("filtro-plano", el("option", { value: "" }, "todos"),
    plans.map((p) => el("option", { value: p.codigo }, p.nome)));
  if (params.has("plano")) form.elements.plano.value = params.get("plano");

  function banner(page) {
    const lines = [`${page.total} alunos nesta seleção · modelo ${page.versao_modelo} · calculado em ${fmt.dateTime(page.calculado_em)}.`];
    if (page.capacidade_diaria === undefined) {
      lines.unshift("Capacidade diária indisponível: este servidor ainda não informa capacidade_diaria.");
    } else {
      lines.unshift(
        `A equipe liga para ${page.capacidade_diaria} alunos por dia. Os primeiros da lista, até ${page.capacidade_diaria} ` +
        `(fora o grupo de controle), somam ${fmt.num(page.cancelamentos_esperados_na_capacidade)} dos ` +
        `${fmt.num(page.cancelamentos_esperados)} cancelamentos esperados nesta seleção: ${fmt.pct(page.cobertura_capacidade)} de cobertura.`);
    }
    fill("capacidade", lines.map((line) => el("p", {}, line)));
  }

  function row(item, rank) {
    const reasons = item.fatores_risco.filter((f) => f.direcao !== "reduz").slice(0, 3);
    const rate = item.visitas_semana_recentes === undefined ? "—"
      : `${fmt.num(item.visitas_semana_recentes)} / ${fmt.num(item.visitas_semana_habituais)}`;
    const contact = item.status_contato === undefined ? "—"
      : [el("span", { class: `contato ${item.status_contato}` }, CONTACT[item.status_contato] || fmt.words(item.status_contato)),
        item.ultimo_contato ? el("small", {}, ` em ${fmt.date(item.ultimo_contato)}`) : null];
    return el("tr", { "data-aluno": item.aluno_id },
      el("td", {}, rank),
      el("td", {}, el("a", { href: `/painel/aluno/${item.aluno_id}` }, item.nome || `Aluno ${item.aluno_id}`),
        el("br"), el("small", {}, `${item.plano} · ${item.dias_matricula} dias de matrícula`)),
      el("td", {}, el("span", { class: `faixa-risco ${item.risco_nivel}` }, item.risco_nivel || "—"),
        " ", fmt.pct(item.probabilidade_churn)),
      el("td", {}, el("ul", { class: "motivos" }, reasons.map((f) => el("li", {}, f.descricao)))),
      el("td", {}, fmt.date(item.ultimo_checkin)),
      el("td", { class: "numero" }, rate),
      el("td", {}, contact));
  }

  async function load(pagina) {
    const data = new FormData(form);
    const [minDays, maxDays] = TENURE[data.get("matricula")] || [null, null];
    const filters = {
      nivel_minimo: data.get("nivel_minimo"), plano: data.get("plano"),
      min_dias_matricula: minDays, max_dias_matricula: maxDays, capacidade: data.get("capacidade"),
    };
    history.replaceState(null, "", query({
      nivel_minimo: filters.nivel_minimo, plano: filters.plano, matricula: data.get("matricula"),
      capacidade: filters.capacidade, pagina: pagina > 1 ? pagina : null,
    }) || location.pathname);
    state("estado", null, "Carregando…");
    let page;
    try {
      page = await api(`/alunos/risco${query({ ...filters, pagina, tamanho: SIZE })}`);
    } catch (error) {
      state("estado", error);
      fill(document.querySelector("#lista tbody"));
      return;
    }
    state("estado", null, page.total ? null : "Nenhum aluno com estes filtros.");
    banner(page);
    const offset = (pagina - 1) * SIZE;
    fill(document.querySelector("#lista tbody"), page.itens.map((item, i) => row(item, offset + i + 1)));
    const last = Math.max(1, Math.ceil(page.total / SIZE));
    fill("paginas",
      el("button", { type: "button", disabled: pagina <= 1, onclick: () => load(pagina - 1) }, "‹ anterior"),
      ` página ${pagina} de ${last} `,
      el("button", { type: "button", disabled: pagina >= last, onclick: () => load(pagina + 1) }, "próxima ›"));
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    load(1);
  });
  await load(Number(params.get("pagina")) || 1);
});
