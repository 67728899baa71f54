// The daily report of a local date (GET /relatorios/diarios/{data}, built on demand with POST
// /relatorios/diarios), by hour and by plan, and the trend against the previous weeks
// (GET /relatorios/tendencia).
"use strict";

Painel.page(async () => {
  const { api, chart, el, fill, fmt, query, state } = Painel;
  const form = document.getElementById("filtros");
  const zone = document.body.dataset.fuso;
  const params = new URLSearchParams(location.search);
  const yesterday = new Date(Date.now() - 86400000).toLocaleDateString("sv-SE", { timeZone: zone });
  form.elements.data.value = params.get("data") || yesterday;

  function show(report) {
    fill("numeros", [
      ["visitas", report.visitas], ["alunos únicos", report.alunos_unicos],
      ["duração média", report.media_duracao_minutos === null ? "—" : `${fmt.num(report.media_duracao_minutos, 0)} min`],
      ["novos alunos", report.novos_alunos], ["cancelamentos", report.cancelamentos],
      ["alunos em risco alto", report.alunos_risco_alto ?? "—"],
    ].map(([label, value]) => el("div", { class: "numero-grande" }, el("strong", {}, value), el("span", {}, label))));
    chart("grafico-horas", {
      type: "bar",
      data: { labels: report.visitas_por_hora.map((h) => `${h.hora}h`),
        datasets: [{ label: "visitas", data: report.visitas_por_hora.map((h) => h.visitas), backgroundColor: "#2b7a78" }] },
      options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
    chart("grafico-planos", {
      type: "bar",
      data: { labels: report.visitas_por_plano.map((p) => p.plano),
        datasets: [{ label: "visitas", data: report.visitas_por_plano.map((p) => p.visitas), backgroundColor: "#3aafa9" }] },
      options: { indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
  }

  async function trend(day) {
    let data;
    try {
      data = await api(`/relatorios/tendencia${query({ ate: day, semanas: 8 })}`);
    } catch (error) {
      state("tendencia-estado", error);
      return;
    }
    state("tendencia-estado", null);
    const weeks = data.semanas || [];
    chart("grafico-tendencia", {
      type: "line",
      data: { labels: weeks.map((w) => `${fmt.date(w.data_inicio)} a ${fmt.date(w.data_fim)}`),
        datasets: [
          { label: "visitas", data: weeks.map((w) => w.visitas), borderColor: "#2b7a78", yAxisID: "y" },
          { label: "alunos únicos", data: weeks.map((w) => w.alunos_unicos), borderColor: "#3aafa9", yAxisID: "y" },
          { label: "novos alunos", data: weeks.map((w) => w.novos_alunos), borderColor: "#8e44ad", yAxisID: "y2" },
          { label: "cancelamentos", data: weeks.map((w) => w.cancelamentos), borderColor: "#c0392b", yAxisID: "y2" },
        ] },
      options: { scales: { y: { beginAtZero: true, position: "left" }, y2: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false } } } },
    });
    const same = [...(data.mesmo_dia_semana || [])].reverse(); // oldest first, the day last
    chart("grafico-dia-semana", {
      type: "bar",
      data: { labels: same.map((d) => fmt.date(d.data_inicio)),
        datasets: [{ label: "visitas", data: same.map((d) => d.visitas), backgroundColor: same.map((d) => (d.data_inicio === day ? "#c0392b" : "#9fb8b7")) }] },
      options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
  }

  async function load() {
    const day = form.elements.data.value;
    history.replaceState(null, "", query({ data: day }));
    state("estado", null, "Carregando…");
    await trend(day);
    try {
      show(await api(`/relatorios/diarios/${day}`));
      state("estado", null);
    } catch (error) {
      fill("numeros");
      state("estado", error.codigo === "REPORT_NOT_FOUND" ? null : error,
        `O relatório de ${fmt.date(day)} ainda não foi gerado: use "Gerar o relatório deste dia".`);
    }
  }

  document.getElementById("gerar").addEventListener("click", async () => {
    const day = form.elements.data.value;
    try {
      await api("/relatorios/diarios", { method: "POST", json: { data: day } });
    } catch (error) {
      state("estado", error);
      return;
    }
    state("estado", null, "Relatório pedido: gerando…");
    for (let attempt = 0; attempt < 20; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      try {
        show(await api(`/relatorios/diarios/${day}`));
        state("estado", null);
        return;
      } catch (error) {
        if (error.codigo !== "REPORT_NOT_FOUND") return state("estado", error);
      }
    }
    state("estado", null, "O relatório ainda não ficou pronto: tente de novo em instantes.");
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    load();
  });
  await load();
});
