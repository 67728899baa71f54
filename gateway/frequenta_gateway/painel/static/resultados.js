// Outcomes: the effect of retention work (contacted against control, GET /retencao/efeito),
// monthly attrition (GET /relatorios/atrito) and cohort retention (GET /relatorios/coortes).
"use strict";

Painel.page(async () => {
  const { api, chart, el, fill, fmt, state } = Painel;
  const settle = (promise) => promise.then((value) => ({ value }), (error) => ({ error }));
  const [effect, attrition, cohorts] = await Promise.all([
    settle(api("/retencao/efeito")), settle(api("/relatorios/atrito?meses=12")), settle(api("/relatorios/coortes?meses=12")),
  ]);

  if (effect.error) state("efeito-estado", effect.error);
  else showEffect(effect.value);
  if (attrition.error) state("atrito-estado", attrition.error);
  else showAttrition(attrition.value);
  if (cohorts.error) state("coortes-estado", cohorts.error);
  else showCohorts(cohorts.value);

  function showEffect(data) {
    const rows = [["contato", "grupo de contato (a equipe liga)"], ["controle", "grupo de controle (sem contato)"]].map(([name, label]) => {
      const g = data[name];
      return el("tr", {}, el("td", {}, label), el("td", { class: "numero" }, g.membros),
        el("td", { class: "numero" }, g.cancelamentos), el("td", { class: "numero" }, fmt.pct(g.taxa_cancelamento, 1)),
        el("td", { class: "numero" }, `${fmt.pct(g.ic95_inferior, 1)} a ${fmt.pct(g.ic95_superior, 1)}`),
        el("td", { class: "numero" }, g.em_acompanhamento));
    });
    const d = data; // diferenca, ic95_inferior and ic95_superior of contato - controle
    fill("efeito",
      el("p", { class: "destaque" }, data.conclusao),
      el("table", { class: "tabela" },
        el("thead", {}, el("tr", {}, ["Grupo", "Alunos", "Cancelaram", "Taxa de cancelamento", "IC 95%", "Ainda em acompanhamento"].map((h) => el("th", {}, h)))),
        el("tbody", {}, rows)),
      el("p", { id: "diferenca" }, `Diferença (contato − controle): ${fmt.pct(d.diferenca, 1)}, intervalo de confiança de 95% de ` +
        `${fmt.pct(d.ic95_inferior, 1)} a ${fmt.pct(d.ic95_superior, 1)}.`),
      el("p", { class: "nota" }, `Contam os alunos sorteados há mais de ${data.dias_acompanhamento} dias; ` +
        `${fmt.pct(data.proporcao_controle)} dos alunos em risco alto vão para o grupo de controle. ` +
        `${data.contatados} alunos do grupo de contato receberam ao menos um contato.`));
  }

  function showAttrition(data) {
    const months = data.meses || data.itens || [];
    chart("grafico-atrito", {
      type: "line",
      data: { labels: months.map((m) => m.mes),
        datasets: [{ label: "taxa de atrito", data: months.map((m) => 100 * m.taxa_atrito), borderColor: "#c0392b" }] },
      options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { callback: (v) => `${v}%` } } } },
    });
    const reasons = [...new Set(months.flatMap((m) => (m.por_motivo || []).map((r) => r.codigo_motivo)))];
    const table = document.getElementById("atrito");
    fill(table.tHead, el("tr", {}, el("th", {}, "Mês"), el("th", {}, "Ativos no início"), el("th", {}, "Cancelamentos"),
      el("th", {}, "Atrito"), reasons.map((r) => el("th", {}, fmt.words(r)))));
    fill(table.tBodies[0], months.map((m) => el("tr", {}, el("td", {}, m.mes), el("td", { class: "numero" }, m.ativos_inicio),
      el("td", { class: "numero" }, m.cancelamentos), el("td", { class: "numero" }, fmt.pct(m.taxa_atrito, 1)),
      reasons.map((r) => el("td", { class: "numero" }, ((m.por_motivo || []).find((x) => x.codigo_motivo === r) || {}).cancelamentos ?? 0)))));
  }

  function showCohorts(data) {
    const select = document.getElementById("coorte-plano");
    const plans = [...new Set(data.coortes.map((c) => c.plano).filter(Boolean))];
    fill(select, el("option", { value: "" }, "todos"), plans.map((p) => el("option", { value: p }, p)));
    const draw = () => {
      const rows = data.coortes.filter((c) => (c.plano || "") === select.value);
      const width = Math.max(0, ...rows.map((c) => c.retidos.length));
      const table = document.getElementById("coortes");
      fill(table.tHead, el("tr", {}, el("th", {}, "Entrada"), el("th", {}, "Alunos"),
        Array.from({ length: width }, (_, i) => el("th", {}, `${i + 1}º mês`))));
      fill(table.tBodies[0], rows.map((c) => el("tr", {}, el("td", {}, c.mes_entrada), el("td", { class: "numero" }, c.membros),
        c.retidos.map((share) => el("td", { class: "numero calor", style: share === null ? null : `--retidos: ${share}` }, fmt.pct(share))))));
    };
    select.addEventListener("change", draw);
    draw();
  }
});
