// The idle logout of an account (issue 22). A login unused for data-idle seconds ends on
// the server; this script warns a few minutes before ("继续使用" asks the server, which
// counts that as use), and when the time is up it keeps what the page's forms hold (never
// a password, a file or the CSRF token) in this tab's sessionStorage, says so, and offers
// the login that leads back here, where the kept values are filled in again.
(() => {
  const idle = Number(document.body.dataset.idle || 0);
  const key = `registry-form:${location.pathname}${location.search}`;
  const notice = (text, role) => {
    const box = document.createElement('div');
    box.className = 'notice warn session-notice no-print';
    box.setAttribute('role', role);
    box.textContent = text;
    document.querySelector('main').prepend(box);
    return box;
  };
  const fields = (form) => [...form.elements].filter((e) =>
    e.name && e.name !== 'csrf' && e.name !== 'version' &&
    !['password', 'file', 'submit', 'button', 'hidden'].includes(e.type));

  // A form kept at an idle logout: filled in again once, then forgotten.
  const kept = sessionStorage.getItem(key);
  if (kept) {
    sessionStorage.removeItem(key);
    try {
      const forms = [...document.forms];
      for (const { form, name, value, checked } of JSON.parse(kept)) {
        const target = forms[form] && fields(forms[form]).filter((e) => e.name === name);
        for (const e of target || []) {
          if (e.type === 'checkbox' || e.type === 'radio') {
            if (e.value === value) e.checked = checked;
          } else {
            e.value = value;
          }
        }
      }
      notice('已恢复退出登录前本页填写的内容，请核对后再提交。', 'status');
    } catch (_) { /* a damaged copy is dropped */ }
  }
  if (!idle) return;

  const warnBefore = Math.min(300, Math.floor(idle / 3));
  let last = Date.now();
  let warning = null;
  const keep = () => {
    const values = [];
    [...document.forms].forEach((form, index) => {
      for (const e of fields(form)) {
        if ((e.type === 'checkbox' || e.type === 'radio') ? e.checked : e.value) {
          values.push({ form: index, name: e.name, value: e.value, checked: e.checked });
        }
      }
    });
    if (values.length) sessionStorage.setItem(key, JSON.stringify(values));
    return values.length;
  };
  const timer = setInterval(() => {
    const elapsed = (Date.now() - last) / 1000;
    if (elapsed >= idle - 2) {
      clearInterval(timer);
      const count = keep();
      if (warning) warning.remove();
      const box = notice(count
        ? '因长时间未操作，已自动退出登录。本页已填写的内容已暂存在本浏览器窗口中，重新登录后回到本页即自动恢复。'
        : '因长时间未操作，已自动退出登录。', 'alert');
      const link = document.createElement('a');
      link.href = `/login?next=${encodeURIComponent(location.pathname + location.search)}`;
      link.textContent = '重新登录';
      box.append(' ', link);
      return;
    }
    if (elapsed >= idle - warnBefore && !warning) {
      const minutes = Math.max(1, Math.round((idle - elapsed) / 60));
      warning = notice(`因长时间未操作，将于约 ${minutes} 分钟后自动退出登录。`, 'alertdialog');
      warning.setAttribute('aria-label', '即将自动退出登录');
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = '继续使用';
      button.addEventListener('click', async () => {
        const answer = await fetch('/api/v1/session', { credentials: 'same-origin' });
        const session = answer.ok ? await answer.json() : {};
        warning.remove();
        warning = null;
        if (session.authenticated) {
          last = Date.now();
        } else {
          last = 0;
        }
      });
      warning.append(' ', button);
      button.focus();
    }
  }, 1000);
})();
