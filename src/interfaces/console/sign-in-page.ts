/**
 * The sign-in page (`GET /sign-in`): static, it carries no data. It exchanges a key for the
 * session cookie (`POST /auth/session`), taking the key from the link the first start printed
 * (`/sign-in#key=…`: a fragment never reaches the server's logs) or from the form, then goes on
 * to `?next=` (a path of this server) or the console's overview. With an OpenID Connect provider
 * configured, the console signs in by authorization code + PKCE instead (docs/security.md).
 */
export const SIGN_IN_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Twinloop · sign in</title>
<link rel="icon" href="data:,">
<style>
  body { font: 15px/1.4 system-ui, sans-serif; max-width: 28rem; margin: 4rem auto; padding: 0 1rem; color: #1d2733; }
  h1 { font-size: 1.3rem; }
  input { width: 100%; box-sizing: border-box; padding: .5rem; font: inherit; font-family: ui-monospace, monospace; }
  button { margin-top: .75rem; padding: .5rem 1rem; font: inherit; }
  #status { margin-top: 1rem; min-height: 1.4em; }
  .error { color: #a4161a; }
</style>
</head>
<body>
<h1>Sign in to Twinloop</h1>
<form id="form">
  <label for="key">API key</label>
  <input id="key" name="key" type="password" autocomplete="off" placeholder="twl_…" required>
  <button type="submit">Sign in</button>
</form>
<p id="status" role="status"></p>
<script>
(() => {
  const status = document.getElementById('status');
  const params = new URLSearchParams(location.search);
  const next = params.get('next');
  // Only a path of this server: never an open redirect.
  const target = next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
  async function signIn(key) {
    status.className = '';
    status.textContent = 'Signing in…';
    const res = await fetch('/auth/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key }), credentials: 'same-origin' });
    const answer = await res.json().catch(() => ({}));
    if (!res.ok) {
      status.className = 'error';
      status.textContent = (answer.error && answer.error.message) || ('sign-in failed (' + res.status + ')');
      return;
    }
    status.textContent = 'Signed in as ' + answer.subject + ' (' + answer.role + ').';
    location.replace(target);
  }
  document.getElementById('form').addEventListener('submit', (e) => {
    e.preventDefault();
    void signIn(document.getElementById('key').value.trim());
  });
  // The key of a link: on opening the page, and on a second link opened in the same tab (only
  // the fragment changes, so the page is not loaded again: the hash change brings it).
  function keyFromLink() {
    const fromLink = new URLSearchParams(location.hash.slice(1)).get('key');
    if (!fromLink) return;
    // Drop the key from the address bar and the history before anything else.
    history.replaceState(null, '', location.pathname + location.search);
    void signIn(fromLink);
  }
  window.addEventListener('hashchange', keyFromLink);
  keyFromLink();
})();
</script>
</body>
</html>
`;
