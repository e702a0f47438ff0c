//! The Leptos example: `<SessionProvider>` around a page that shows the session and signs
//! in (the demo's credentials provider), renames the user with `update()`, and signs out.
//! Open it in two tabs: signing out in one updates the other (localStorage, like next-auth).
//!
//! The provider's options can be tried from the address bar:
//! `/leptos/?refetch_interval=5&refetch_on_window_focus=false&refetch_when_offline=false`
//! (the interval in seconds; defaults: 60, true, true), and `compat=v5` for a server in
//! Auth.js v5 mode (the demo with `AUTH_COMPAT=v5`): next-auth 5's requests, and its
//! `BroadcastChannel("next-auth")` to the other tabs instead of localStorage.

#[cfg(target_arch = "wasm32")]
fn main() {
    leptos::mount::mount_to_body(app::App);
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("leptos-app is a browser app: build it with scripts/build-leptos-app.sh");
}

#[cfg(all(target_arch = "wasm32", feature = "auth"))]
mod app {
    use leptos::prelude::*;
    use leptos::task::spawn_local;
    use tessera_leptos::{Compat, SessionProvider, SessionStore, Status, use_session};

    /// A `key=value` of the page's query string.
    fn query(key: &str) -> Option<String> {
        let search = window().location().search().ok()?;
        search
            .trim_start_matches('?')
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.to_owned())
    }

    #[component]
    #[allow(unreachable_pub, reason = "the #[component] expansion declares pub items")]
    pub(crate) fn App() -> impl IntoView {
        let seconds = query("refetch_interval").and_then(|s| s.parse().ok()).unwrap_or(60);
        let flag = |key| query(key).is_none_or(|v| v != "false");
        let compat: Compat = query("compat").and_then(|v| v.parse().ok()).unwrap_or_default();
        view! {
            <h1>"Tessera + Leptos"</h1>
            <p>"Protocol: " <span class="compat">{compat.as_str()}</span></p>
            <SessionProvider
                compat=compat
                refetch_interval=std::time::Duration::from_secs(seconds)
                refetch_on_window_focus=flag("refetch_on_window_focus")
                refetch_when_offline=flag("refetch_when_offline")
            >
                <Session/>
            </SessionProvider>
        }
    }

    #[component]
    fn Session() -> impl IntoView {
        let session = use_session();
        let (message, set_message) = signal(String::new());
        let (new_name, set_new_name) = signal(String::from("Ada Lovelace"));

        let sign_in = move |password: &'static str| {
            spawn_local(async move {
                let store: SessionStore = session.store();
                let options = tessera_leptos::SignInOptions::new()
                    .redirect(false)
                    .field("username", "demo")
                    .field("password", password);
                match store.sign_in("credentials", options, &[]).await {
                    Ok(response) => match response.result() {
                        Some(r) if r.ok && r.error.is_none() => set_message.set("signed in".into()),
                        // next-auth 4: `CredentialsSignin`, status 401; next-auth 5:
                        // `CredentialsSignin`, code `credentials`, status 200.
                        Some(r) => set_message.set(format!(
                            "sign-in failed: error={} code={} status={} ok={}",
                            r.error.as_deref().unwrap_or("-"),
                            r.code.as_deref().unwrap_or("-"),
                            r.status,
                            r.ok
                        )),
                        None => set_message.set("redirecting…".into()),
                    },
                    Err(e) => set_message.set(e.to_string()),
                }
            });
        };
        let rename = move |_| {
            let name = new_name.get_untracked();
            spawn_local(async move {
                match session.update(Some(serde_json::json!({ "name": name }))).await {
                    Ok(_) => set_message.set("renamed".into()),
                    Err(e) => set_message.set(e.to_string()),
                }
            });
        };
        let sign_out = move |_| {
            spawn_local(async move {
                let options = tessera_leptos::SignOutOptions::new().redirect(false);
                match session.sign_out(options).await {
                    Ok(_) => set_message.set("signed out".into()),
                    Err(e) => set_message.set(e.to_string()),
                }
            });
        };

        view! {
            <p>"Status: " <span class="status">{move || session.status.get().as_str()}</span></p>
            {move || match session.status.get() {
                Status::Loading => view! { <p>"Loading…"</p> }.into_any(),
                Status::Unauthenticated => view! {
                    <p>"Not signed in."</p>
                    <button on:click=move |_| sign_in("demo")>"Sign in as demo"</button>
                    <button on:click=move |_| sign_in("wrong")>"Sign in with a wrong password"</button>
                }
                .into_any(),
                Status::Authenticated => {
                    let user = session.data.get().and_then(|s| s.user);
                    let name = user.as_ref().and_then(|u| u.name.clone()).unwrap_or_default();
                    let email = user.and_then(|u| u.email).unwrap_or_default();
                    view! {
                        <p>"Signed in as " <b class="name">{name}</b> " " <span class="email">{email}</span></p>
                        <input
                            class="new-name"
                            prop:value=move || new_name.get()
                            on:input=move |ev| set_new_name.set(event_target_value(&ev))
                        />
                        <button on:click=rename>"Rename (update)"</button>
                        <button on:click=sign_out>"Sign out"</button>
                    }
                    .into_any()
                }
            }}
            <p><small class="message">{move || message.get()}</small></p>
        }
    }
}

#[cfg(all(target_arch = "wasm32", not(feature = "auth")))]
mod app {
    use leptos::prelude::*;

    /// The baseline: an empty Leptos app of the same build profile.
    #[component]
    #[allow(unreachable_pub, reason = "the #[component] expansion declares pub items")]
    pub(crate) fn App() -> impl IntoView {
        let (count, set_count) = signal(0);
        view! {
            <h1>"Leptos"</h1>
            <button on:click=move |_| set_count.update(|c| *c += 1)>{move || count.get()}</button>
        }
    }
}
