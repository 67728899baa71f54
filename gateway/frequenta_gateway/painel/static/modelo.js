// The churn model: the serving version (GET /modelo), its hold-out metrics and calibration
// curve, the registered versions (GET /modelo/versoes); admins promote and roll back.
"use strict";

Painel.page(async (current) => {
  const { api, chart, el, fill, fmt, state } = Painel;
  const admin = current.papel === "admin";
  const METRICS = [
    ["pr_auc", "PR-AUC"], ["roc_auc", "ROC-AUC"], ["brier", "Brier"], ["erro_calibracao", "erro de calibração"],
    ["precisao_top_10", "precisão top 10%"], ["lift_top_10", "lift top 10%"], ["taxa_base", "taxa base"],
  ];
  const REASON = { primeira: "primeira versão", melhor: "superou a anterior", forcada: "promovida manualmente", rollback: "rollback" };

  async function load() {
    let serving;
    try {
      serving = await api("/modelo");
    } catch (error) {
      state("estado", error);
      return;
    }
    state("estado", null);
    fill("atual", [
      ["Versão", serving.versao], ["Algoritmo", serving.algoritmo],
      ["Em produção desde", `${fmt.dateTime(serving.promovida_em)} (${REASON[serving.motivo_promocao] || "—"})`],
      ["Horizonte", `${serving.horizonte_dias} dias`],
      ["Treino", `${fmt.date(serving.treino_inicio)} a ${fmt.date(serving.treino_fim)} (${serving.linhas_treino} linhas)`],
      ["Hold-out", `${fmt.date(serving.holdout_inicio)} a ${fmt.date(serving.holdout_fim)} (${serving.linhas_holdout} linhas)`],
      ["Faixas de risco", `médio a partir de ${fmt.pct(serving.faixas_risco.medio, 1)}, alto a partir de ${fmt.pct(serving.faixas_risco.alto, 1)}`],
    ].flatMap(([term, value]) => [el("dt", {}, term), el("dd", {}, value)]));

    const table = document.getElementById("metricas");
    fill(table.tHead, el("tr", {}, el("th", {}, "Modelo"), METRICS.map(([, label]) => el("th", {}, label))));
    fill(table.tBodies[0], serving.candidatos.map((c) => el("tr", { class: c.algoritmo === serving.algoritmo ? "atual" : null },
      el("td", {}, fmt.words(c.algoritmo)), METRICS.map(([key]) => el("td", { class: "numero" }, fmt.num(c.metricas[key], 3))))));

    const curve = serving.metricas.curva_calibracao || serving.curva_calibracao;
    if (!curve) {
      state("calibracao-estado", null, serving.metricas.curva_calibracao === null
        ? "Esta versão foi treinada antes de a curva de calibração ser guardada: retreine para vê-la."
        : "Indisponível: este servidor ainda não informa curva_calibracao.");
    } else {
      state("calibracao-estado", null);
      const top = Math.max(0.05, ...curve.map((b) => Math.max(b.probabilidade_prevista, b.taxa_observada)));
      chart("grafico-calibracao", {
        type: "scatter",
        data: { datasets: [
          { label: "observado", data: curve.map((b) => ({ x: b.probabilidade_prevista, y: b.taxa_observada })), borderColor: "#c0392b", backgroundColor: "#c0392b", showLine: true },
          { label: "calibração perfeita", data: [{ x: 0, y: 0 }, { x: top, y: top }], borderColor: "#999", borderDash: [4, 4], showLine: true, pointRadius: 0 },
        ] },
        options: { scales: {
          x: { min: 0, max: top, title: { display: true, text: "probabilidade prevista" } },
          y: { min: 0, max: top, title: { display: true, text: "taxa observada" } } } },
      });
    }

    const versions = (await api("/modelo/versoes")).versoes;
    fill(document.querySelector("#versoes tbody"), versions.map((v) => el("tr", { class: v.em_producao ? "atual" : null, "data-versao": v.versao },
      el("td", {}, v.versao), el("td", {}, fmt.words(v.algoritmo)), el("td", {}, fmt.dateTime(v.criada_em)),
      ["pr_auc", "roc_auc", "brier", "lift_top_10"].map((key) => el("td", { class: "numero" }, fmt.num(v.metricas[key], 3))),
      el("td", {}, v.em_producao ? "em produção" : admin ? el("button", { type: "button", onclick: () => promote(v.versao) }, "Promover") : ""))));
  }

  async function act(path, body, done) {
    try {
      const now = await api(path, { method: "POST", json: body });
      state("acao-estado", null, `${done}: agora serve ${now.versao}.`);
    } catch (error) {
      if (error.codigo === "NOT_BETTER" && body && !body.forcar && confirm(`${error.message}\n\nPromover mesmo assim?`)) {
        return act(path, { forcar: true }, done);
      }
      state("acao-estado", error);
    }
    await load();
  }

  const promote = (version) => act(`/modelo/versoes/${encodeURIComponent(version)}/promover`, { forcar: false }, "Versão promovida");
  const rollback = document.getElementById("rollback");
  rollback.hidden = !admin;
  rollback.addEventListener("click", () => confirm("Voltar à versão servida antes da atual?") && act("/modelo/rollback", undefined, "Rollback feito"));
  await load();
});
