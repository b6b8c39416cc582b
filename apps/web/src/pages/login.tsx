/** Paste an API token: the server checks it and answers with an HttpOnly, SameSite=Strict session cookie. */
export function LoginPage() {
  const failed = new URLSearchParams(location.search).get("failed") !== null;
  return (
    <section className="login">
      <h1>Sign in</h1>
      <p className="muted">
        Open the one-time link that <code>verdict serve</code> printed, or paste an API token (
        <code>verdict tokens create</code>).
      </p>
      {failed ? (
        <p role="alert" className="error" data-testid="login-failed">
          That token was not accepted.
        </p>
      ) : null}
      <form method="post" action="/login">
        <label>
          API token
          <input name="token" type="password" autoComplete="off" required data-testid="token-input" />
        </label>
        <button type="submit">Sign in</button>
      </form>
    </section>
  );
}
