// A member's page: the membership, the risk now and over time with its factors, the weekly
// attendance and the visits, the open alerts and (staff only) the retention contact log.
"use strict";

Painel.page(async (current) => {
  const { api, chart, el, fill, fmt, query, state } = Painel;
  const id = document.body.dataset.aluno;
  const staff = current.papel !== "aluno";
  const CHANNEL = { telefone: "telefone", whatsapp: "WhatsApp", email: "e-mail", sms: "SMS", presencial: "presencial" };
  const ALERT = { sem_visita_inicial: "sem visita no início", poucas_visitas_inicio: "poucas visitas no início", inatividade: "inatividade" };
  const settle = (promise) => promise.then((value) => ({ value }), (error) => ({ error }));

  const yearAgo = new Date(Date.now() - 364 * 86400000).toLocaleDateString("sv-SE", { timeZone: document.body.dataset.fuso });
  const [member, risk, attendance, history, alerts] = await Promise.all([
    settle(api(`/aluno/${id}`)),
    settle(api(`/aluno/${id}/risco-churn`)),
    settle(api(`/aluno/${id}/frequencia${query({ data_inicio: yearAgo, tamanho: 50 })}`)),
    settle(api(`/aluno/${id}/risco-historico?dias=365`)),
    settle(api(`/aluno/${id}/alertas`)),
  ]);
  if (member.error) throw member.error;
  const m = member.value;
  document.getElementById("titulo").textContent = m.nome;
  const renewal = risk.value && risk.value.fatores_risco.find((f) => f.fator === "plano_renovacao");
  fill("dados", [
    ["Plano", `${m.plano.nome} (${m.plano.duracao_meses} ${m.plano.duracao_meses === 1 ? "mês" : "meses"})`],
    ["Matrícula", fmt.date(m.data_matricula)],
    ["Renovação", m.proxima_renovacao ? `${fmt.date(m.proxima_renovacao)} (${untilDay(m.proxima_renovacao)})` : (renewal ? renewal.descricao : "—")],
    ["Situação", m.ativo ? "ativo" : `cancelado em ${fmt.date(m.data_cancelamento)} (${fmt.words(m.codigo_motivo || m.motivo_cancelamento)})`],
    ["Contato", [m.email, m.telefone].filter(Boolean).join(" · ")],
  ].flatMap(([term, value]) => [el("dt", {}, term), el("dd", {}, value)]));

  if (risk.error) {
    fill("risco", el("p", { class: "estado" }, risk.error.message));
  } else {
    const r = risk.value;
    fill("risco",
      el("p", { class: "destaque" }, el("span", { class: `faixa-risco ${r.risco_nivel}` }, r.risco_nivel), ` ${fmt.pct(r.probabilidade_churn)}`),
      el("p", {}, `de chance de cancelar nos próximos ${r.horizonte_dias} dias (modelo ${r.versao_modelo}).`),
      r.historico_limitado ? el("p", { class: "estado" }, "Matrícula recente: primeira estimativa, com pouco histórico.") : null);
    fill("fatores", r.fatores_risco.map((f) => el("li", { class: f.direcao }, `${f.direcao === "reduz" ? "↓" : "↑"} ${f.descricao}`)));
    fill("recomendacoes", r.recomendacoes.map((text) => el("li", {}, text)));
  }

  const openAlerts = alerts.value ? (alerts.value.itens || alerts.value) : [];
  fill("alertas", alerts.error ? el("li", { class: "estado indisponivel" }, alerts.error.unavailable
    ? "Alertas indisponíveis: este servidor ainda não oferece /aluno/{id}/alertas." : alerts.error.message)
    : openAlerts.length ? openAlerts.map((a) => el("li", { "data-tipo": a.tipo },
      el("strong", {}, ALERT[a.tipo] || fmt.words(a.tipo)), ` — ${a.descricao} (desde ${fmt.date(a.aberto_em)})`))
      : el("li", { class: "nenhum" }, "Nenhum alerta aberto."));

  if (attendance.error) {
    state("estado", attendance.error);
  } else {
    const a = attendance.value;
    chart("grafico-semanas", {
      type: "bar",
      data: { labels: a.serie_semanal.map((w) => fmt.date(w.semana_inicio)),
        datasets: [{ label: "visitas na semana", data: a.serie_semanal.map((w) => w.checkins), backgroundColor: "#2b7a78" }] },
      options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
    fill(document.querySelector("#visitas tbody"), a.checkins.map((v) => el("tr", {},
      el("td", {}, fmt.dateTime(v.data_entrada)), el("td", {}, fmt.dateTime(v.data_saida)),
      el("td", { class: "numero" }, v.duracao_minutos === null ? "—" : `${v.duracao_minutos} min`),
      el("td", {}, fmt.words(v.origem)))));
    document.querySelector("#visitas").after(el("p", { class: "nota" },
      `${a.checkins.length} visitas mais recentes de ${a.paginacao.total} nos últimos 12 meses · ` +
      `${fmt.num(a.media_checkins_semana)} por semana nas últimas 4 semanas · duração média ${fmt.num(a.media_duracao_minutos, 0)} min.`));
  }

  if (history.error) {
    state("risco-historico-estado", history.error);
  } else {
    const items = history.value.itens;
    chart("grafico-risco", {
      type: "line",
      data: { labels: items.map((i) => fmt.date(i.dia)),
        datasets: [{ label: "probabilidade de cancelar", data: items.map((i) => 100 * i.probabilidade), borderColor: "#c0392b", pointRadius: items.length > 60 ? 0 : 3, tension: 0.2 }] },
      options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { callback: (v) => `${v}%` } } } },
    });
    if (items.length < 7) {
      state("risco-historico-estado", null, `Um ponto por dia: ${items.length} ${items.length === 1 ? "dia" : "dias"} de histórico até agora.`);
    }
  }

  if (staff) await contacts(id, { api, el, fill, fmt, state, CHANNEL });
});

async function contacts(id, { api, el, fill, fmt, state, CHANNEL }) {
  const form = document.getElementById("novo-contato");
  const outside = document.getElementById("fora-protocolo");

  async function list() {
    try {
      const log = await api(`/aluno/${id}/contatos`);
      fill(document.querySelector("#contatos tbody"), log.itens.length ? log.itens.map((c) => el("tr", {},
        el("td", {}, fmt.dateTime(c.registrado_em)), el("td", {}, CHANNEL[c.canal] || c.canal),
        el("td", {}, fmt.words(c.resultado)), el("td", {}, c.nota || ""),
        el("td", {}, [c.proximo_passo || "", c.proximo_passo_em ? ` (${fmt.date(c.proximo_passo_em)})` : ""].join("")),
        el("td", {}, c.autor))) : el("tr", {}, el("td", { colspan: 6 }, "Nenhum contato registrado.")));
    } catch (error) {
      state("contato-mensagem", error);
      if (error.unavailable) form.querySelector("button").disabled = true;
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const body = { canal: data.get("canal"), resultado: data.get("resultado") };
    for (const name of ["nota", "proximo_passo", "proximo_passo_em"]) if (data.get(name)) body[name] = data.get(name);
    if (!outside.hidden && data.get("fora_do_protocolo")) body.fora_do_protocolo = true;
    try {
      await api(`/aluno/${id}/contatos`, { method: "POST", json: body });
    } catch (error) {
      if (error.codigo === "CONTROL_GROUP") outside.hidden = false;
      state("contato-mensagem", error);
      return;
    }
    form.reset();
    outside.hidden = true;
    state("contato-mensagem", null, "Contato registrado.");
    await list();
  });
  await list();
}

/** "hoje", "em 1 dia" or "em N dias" from today (the browser's calendar) to a "YYYY-MM-DD" date. */
function untilDay(iso) {
  const now = new Date();
  const today = Date.UTC(now.getFullYear(), now.getMonth(), now.getDate());
  const days = Math.round((Date.parse(`${iso}T00:00:00Z`) - today) / 86400000);
  return days === 0 ? "hoje" : `em ${days} ${days === 1 ? "dia" : "dias"}`;
}
