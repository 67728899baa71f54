// Open alerts (GET /alertas) and their thresholds (GET/PUT /alertas/limites).
"use strict";

Painel.page(async () => {
  const { api, el, fill, fmt, query, state } = Painel;
  const form = document.getElementById("filtros");
  const limits = document.getElementById("limites");
  const SIZE = 50;
  const ALERT = { sem_visita_inicial: "sem visita no início", poucas_visitas_inicio: "poucas visitas no início", inatividade: "inatividade" };

  async function load(pagina) {
    const tipo = new FormData(form).get("tipo");
    let page;
    try {
      page = await api(`/alertas${query({ tipo, pagina, tamanho: SIZE })}`);
    } catch (error) {
      state("estado", error);
      return;
    }
    state("estado", null, page.total ? `${page.total} alertas abertos.` : "Nenhum alerta aberto.");
    fill(document.querySelector("#lista tbody"), page.itens.map((a) => el("tr", { "data-aluno": a.aluno_id, "data-tipo": a.tipo },
      el("td", {}, el("a", { href: `/painel/aluno/${a.aluno_id}` }, a.nome || `Aluno ${a.aluno_id}`)),
      el("td", {}, a.plano || "—"),
      el("td", {}, el("strong", {}, ALERT[a.tipo] || fmt.words(a.tipo)), a.estagio ? ` (${a.estagio} dias)` : "", el("br"), el("small", {}, a.descricao)),
      el("td", { class: "numero" }, a.dias_sem_visita ?? "—"),
      el("td", {}, fmt.date(a.ultimo_checkin)),
      el("td", {}, fmt.date(a.aberto_em)))));
    const last = Math.max(1, Math.ceil(page.total / SIZE));
    fill("paginas",
      el("button", { type: "button", disabled: pagina <= 1, onclick: () => load(pagina - 1) }, "‹ anterior"),
      ` página ${pagina} de ${last} `,
      el("button", { type: "button", disabled: pagina >= last, onclick: () => load(pagina + 1) }, "próxima ›"));
  }

  function show(values) {
    for (const name of ["dias_sem_visita_inicial", "visitas_minimas_mes", "dias_periodo_inicial"]) limits.elements[name].value = values[name];
    limits.elements.estagios_inatividade_dias.value = values.estagios_inatividade_dias.join(", ");
    const changed = values.alterado_por ? ` Alterados por ${values.alterado_por} em ${fmt.dateTime(values.alterado_em)}.` : "";
    state("limites-estado", null, `Limites em vigor.${changed}`);
  }

  limits.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(limits);
    const body = {
      dias_sem_visita_inicial: Number(data.get("dias_sem_visita_inicial")),
      visitas_minimas_mes: Number(data.get("visitas_minimas_mes")),
      dias_periodo_inicial: Number(data.get("dias_periodo_inicial")),
      estagios_inatividade_dias: String(data.get("estagios_inatividade_dias")).split(/[,;\s]+/).filter(Boolean).map(Number),
    };
    try {
      show(await api("/alertas/limites", { method: "PUT", json: body }));
    } catch (error) {
      state("limites-estado", error);
      return;
    }
    await load(1);
  });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    load(1);
  });
  try {
    show(await api("/alertas/limites"));
  } catch (error) {
    state("limites-estado", error);
    limits.querySelector("button").disabled = error.unavailable;
  }
  await load(1);
});
