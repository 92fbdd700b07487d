/**
 * The agent desktop at `GET /console/assist`: one HTML page, no framework, no build step. It
 * subscribes to `/assist/stream` with EventSource and shows each card as it arrives: the customer,
 * churn risk with its reasons, the top actions (Accept posts to `/decisions/:decisionId/accept`
 * when an action carries a decision id) and what the customer did on other channels.
 *
 * Everything from a card is written with `textContent`: channel context is customer input and
 * must never become markup.
 */
export const ASSIST_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Twinloop · agent assist</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; background: #f4f5f7; color: #1d2330; }
  header { display: flex; gap: 12px; align-items: center; padding: 10px 16px; background: #1d2330; color: #fff; }
  header h1 { font-size: 16px; margin: 0 12px 0 0; }
  header select, header input, header button { font: inherit; padding: 3px 6px; }
  #status { margin-left: auto; font-size: 12px; opacity: .8; }
  main { padding: 16px; display: grid; gap: 12px; }
  .card { background: #fff; border-radius: 6px; padding: 12px 16px; box-shadow: 0 1px 2px rgba(0,0,0,.12); }
  .card h2 { font-size: 15px; margin: 0 0 4px; }
  .meta { color: #5b6475; font-size: 12px; }
  .risk { font-weight: 600; }
  .high { color: #b3261e; } .medium { color: #a15c00; } .low { color: #1e7b34; }
  ul { margin: 4px 0 8px 18px; padding: 0; }
  .action { display: flex; gap: 8px; align-items: baseline; }
  .action button { font: inherit; padding: 1px 8px; }
  h3 { font-size: 13px; margin: 8px 0 2px; }
  code { font-size: 12px; background: #eef0f3; padding: 0 3px; border-radius: 3px; }
</style>
</head>
<body>
<header>
  <h1>Agent assist</h1>
  <label>Channel <select id="channel"><option>call</option><option>chat</option><option>store</option></select></label>
  <label>Agent <input id="agent" size="10" value="agent-1"></label>
  <button id="connect">Connect</button>
  <span id="status">not connected</span>
</header>
<main id="cards"></main>
<script>
(() => {
  const $ = (id) => document.getElementById(id);
  const el = (tag, text, cls) => { const e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; };
  const money = (v) => (typeof v === 'number' ? v.toFixed(2) : '–');
  let source = null;

  function churnOf(summary) {
    const churn = summary && summary.scores && summary.scores.churn;
    if (!churn || churn.probability === null || churn.probability === undefined) return { text: churn && churn.note ? churn.note : 'no churn score yet', cls: '', reasons: [] };
    const p = churn.probability;
    return { text: 'churn risk ' + Math.round(p * 100) + '%', cls: p >= 0.5 ? 'high' : p >= 0.2 ? 'medium' : 'low', reasons: (churn.reasons || []).map((r) => r.text || r.feature) };
  }

  function accept(decisionId, button) {
    button.disabled = true;
    fetch('/decisions/' + encodeURIComponent(decisionId) + '/accept', { method: 'POST' })
      .then((r) => { button.textContent = r.ok ? 'Accepted' : 'Failed (' + r.status + ')'; if (!r.ok) button.disabled = false; })
      .catch(() => { button.textContent = 'Failed'; button.disabled = false; });
  }

  function render(card) {
    const box = el('section', undefined, 'card');
    box.append(el('h2', card.customerId + ' · ' + card.channel + ' · ' + card.reason));
    box.append(el('div', 'started ' + card.at + ' · card built ' + card.builtAt, 'meta'));
    const churn = churnOf(card.summary);
    box.append(el('div', churn.text, 'risk ' + churn.cls));
    if (churn.reasons.length) { const ul = el('ul'); churn.reasons.forEach((r) => ul.append(el('li', r))); box.append(ul); }
    box.append(el('h3', 'Next best actions'));
    if (!card.actions.length) box.append(el('div', 'none', 'meta'));
    card.actions.forEach((a) => {
      const row = el('div', undefined, 'action');
      row.append(el('strong', a.name || a.actionId), el('span', 'expected value ' + money(a.expectedValue), 'meta'));
      if (a.decisionId) { const b = el('button', 'Accept'); b.onclick = () => accept(a.decisionId, b); row.append(b); }
      box.append(row);
      if (a.reasons && a.reasons.length) { const ul = el('ul'); a.reasons.forEach((r) => ul.append(el('li', r))); box.append(ul); }
    });
    box.append(el('h3', 'Other channels'));
    if (!card.otherChannels.length) box.append(el('div', 'nothing in the last hours', 'meta'));
    const ul = el('ul');
    card.otherChannels.forEach((o) => {
      const li = el('li', o.channel + ' · ' + o.intent + ' (' + o.phase + ', ' + o.at + ') ');
      if (o.context && Object.keys(o.context).length) li.append(el('code', JSON.stringify(o.context)));
      ul.append(li);
    });
    box.append(ul);
    $('cards').prepend(box);
    while ($('cards').children.length > 20) $('cards').lastChild.remove();
  }

  function connect() {
    if (source) source.close();
    const url = '/assist/stream?channel=' + encodeURIComponent($('channel').value) + '&agentId=' + encodeURIComponent($('agent').value || 'agent');
    source = new EventSource(url);
    $('status').textContent = 'connecting…';
    source.addEventListener('ready', () => { $('status').textContent = 'listening on ' + $('channel').value; });
    source.addEventListener('card', (e) => render(JSON.parse(e.data)));
    source.addEventListener('dropped', (e) => { $('status').textContent = 'missed ' + JSON.parse(e.data).cards + ' cards (slow connection)'; });
    source.onerror = () => { $('status').textContent = 'reconnecting…'; };
  }

  $('connect').onclick = connect;
  $('channel').onchange = connect;
  connect();
})();
</script>
</body>
</html>
`;
