//! The demo's HTML. Everything user-controlled is escaped with [`esc`].

use tessera::Session;

/// Escapes text for HTML element content and quoted attribute values (`&<>"'/`).
fn esc(s: &str) -> String {
    html_escape::encode_safe(s).into_owned()
}

fn layout(title: &str, body: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · Tessera demo</title>
<style>
:root{{--brand:#346df1;--bg:#f5f6f8;--card:#fff;--text:#1f2328;--muted:#59636e;--border:#d1d9e0}}
@media (prefers-color-scheme:dark){{:root{{--bg:#0d1117;--card:#161b22;--text:#e6edf3;--muted:#9198a1;--border:#3d444d}}}}
*{{box-sizing:border-box}} body{{margin:0;background:var(--bg);color:var(--text);font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}}
header{{display:flex;gap:1.25rem;align-items:center;padding:.9rem 1.5rem;border-bottom:1px solid var(--border);background:var(--card)}}
header strong{{margin-right:auto}} a{{color:var(--brand)}}
main{{max-width:40rem;margin:2rem auto;padding:0 1.5rem}}
.card{{background:var(--card);border:1px solid var(--border);border-radius:12px;padding:1.5rem;margin-bottom:1.25rem}}
h1{{font-size:1.5rem;margin:0 0 .75rem}} .muted{{color:var(--muted)}}
code{{background:rgba(127,127,127,.15);padding:.1rem .35rem;border-radius:4px}}
pre{{background:rgba(127,127,127,.12);padding:1rem;border-radius:8px;overflow:auto;font-size:.85rem}}
input{{padding:.5rem .7rem;font-size:1rem;border:1px solid var(--border);border-radius:8px;background:var(--bg);color:var(--text)}}
button,.button{{display:inline-block;padding:.5rem 1rem;font-size:1rem;font-weight:600;border:0;border-radius:8px;background:var(--brand);color:#fff;cursor:pointer;text-decoration:none}}
</style></head>
<body><header><strong>Tessera demo</strong><a href="/">Home</a><a href="/protected">Protected page</a><a href="/leptos/">Leptos app</a></header>
<main>{body}</main></body></html>"#
    )
}

fn who(session: &Session) -> (String, String) {
    let user = session.user.as_ref();
    let name = user.and_then(|u| u.name.as_deref()).unwrap_or("(no name)");
    let email = user.and_then(|u| u.email.as_deref()).unwrap_or("");
    (esc(name), esc(email))
}

pub(crate) fn home(base: &str, session: Option<&Session>, username: &str, password: &str) -> String {
    let body = match session {
        Some(s) => {
            let (name, email) = who(s);
            let json = esc(&serde_json::to_string_pretty(s).unwrap_or_default());
            format!(
                r#"<div class="card"><h1>Signed in as <span id="name">{name}</span></h1>
<p class="muted">{email}</p>
<form id="rename"><label for="new-name">Display name</label><br>
<input id="new-name" name="name" maxlength="64" required value="{name}"> <button type="submit">Rename with update()</button>
<span id="rename-status" class="muted" role="status"></span></form></div>
<div class="card"><p>The session, as <code>GET {base}/session</code> returns it:</p><pre id="session">{json}</pre>
<a class="button" href="{base}/signout">Sign out</a> <a href="{base}/password/change?callbackUrl=%2F">Change password</a>
<a href="{base}/two-factor/setup">Two-factor sign-in</a></div>
<script>
// update(): GET csrf, then POST the session route with JSON, exactly as next-auth/react does.
document.getElementById("rename").addEventListener("submit", async (e) => {{
  e.preventDefault();
  const status = document.getElementById("rename-status");
  const name = document.getElementById("new-name").value;
  const {{ csrfToken }} = await (await fetch("{base}/csrf")).json();
  const res = await fetch("{base}/session", {{ method: "POST", headers: {{ "Content-Type": "application/json" }},
    body: JSON.stringify({{ csrfToken, data: {{ name }} }}) }});
  const session = await res.json();
  if (res.ok && session.user) {{
    document.getElementById("name").textContent = session.user.name;
    document.getElementById("session").textContent = JSON.stringify(session, null, 2);
    status.textContent = "Saved.";
  }} else {{ status.textContent = "Could not rename."; }}
}});
</script>"#
            )
        }
        None => format!(
            r#"<div class="card"><h1>You are not signed in</h1>
<p>Sign in with the demo user: username <code>{}</code>, password <code>{}</code>,
or by email: without <code>EMAIL_SERVER</code> the sign-in link is printed in the demo's terminal.</p>
<p>Or <a href="{base}/signup/password">create an account</a> with your email address and a password:
the verification link (and any password-reset link) is mailed, or printed in the terminal too.</p>
<a class="button" href="{base}/signin">Sign in</a></div>
<div class="card"><p class="muted">The <a href="/protected">protected page</a> sends you to sign-in and back.</p></div>"#,
            esc(username),
            esc(password)
        ),
    };
    layout("Home", &body)
}

pub(crate) fn protected(base: &str, session: &Session) -> String {
    let (name, _) = who(session);
    layout(
        "Protected",
        &format!(
            r#"<div class="card"><h1>Protected page</h1><p>Only signed-in users see this. Hello, {name}.</p>
<a class="button" href="{base}/signout">Sign out</a></div>"#
        ),
    )
}

pub(crate) fn leptos_missing() -> String {
    layout(
        "Leptos app",
        r#"<div class="card"><h1>The Leptos app is not built yet</h1>
<p>Build it with <code>bash scripts/build-leptos-app.sh</code>, then reload this page.</p></div>"#,
    )
}
