// The login page: POST /painel/sessao (the server refuses turnstile accounts), then the page
// asked for (?voltar=), the at-risk list, or for a member their own page.
"use strict";

(() => {
  const form = document.getElementById("entrar");
  const message = document.getElementById("mensagem");

  function target(token) {
    if (token.papel === "aluno") return `/painel/aluno/${token.aluno_id}`;
    const back = new URLSearchParams(location.search).get("voltar") || "";
    return back.startsWith("/painel/") && !back.startsWith("/painel/login") ? back : "/painel/risco";
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    message.hidden = true;
    const login = form.login.value.trim();
    const response = await fetch("/painel/sessao", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ login, senha: form.senha.value }),
    });
    const data = await response.json().catch(() => null);
    if (response.ok) {
      Painel.save({ ...data, login });
      location.assign(target(data));
      return;
    }
    message.hidden = false;
    if (response.status === 401) message.textContent = "Login ou senha incorretos.";
    else if (response.status === 429) message.textContent = "Muitas tentativas: aguarde um minuto e tente de novo.";
    else message.textContent = (data && data.erro && data.erro.mensagem) || `Erro ${response.status}.`;
  });
})();
