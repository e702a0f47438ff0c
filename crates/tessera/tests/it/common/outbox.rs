//! A mailer that records what it is asked to send, and can be told to fail.

use std::sync::{Arc, Mutex};

use tessera::providers::email::{MailPurpose, Mailer, MailerError, VerificationRequest};

/// One mail as the mailer was given it.
#[derive(Debug, Clone)]
pub(crate) struct Mail {
    pub purpose: MailPurpose,
    pub url: String,
    pub code: Option<String>,
    pub text: String,
    pub html: String,
}

/// Records `(address, link)` for every mail, and the whole mail; clones share the record.
#[derive(Clone, Default)]
pub(crate) struct Outbox {
    sent: Arc<Mutex<Vec<(String, String)>>>,
    mails: Arc<Mutex<Vec<Mail>>>,
    fail: bool,
}

#[tessera::async_trait]
impl Mailer for Outbox {
    async fn send(&self, r: VerificationRequest<'_>) -> Result<(), MailerError> {
        self.sent
            .lock()
            .unwrap()
            .push((r.identifier.to_owned(), r.url.to_owned()));
        self.mails.lock().unwrap().push(Mail {
            purpose: r.purpose,
            url: r.url.to_owned(),
            code: r.code.map(str::to_owned),
            text: r.text_body(),
            html: r.html_body(),
        });
        if self.fail {
            Err(MailerError("smtp down".into()))
        } else {
            Ok(())
        }
    }
}

impl Outbox {
    /// An outbox whose every send fails (after recording it).
    pub(crate) fn failing() -> Self {
        Outbox {
            fail: true,
            ..Default::default()
        }
    }

    /// Every `(address, link)` sent so far.
    pub(crate) fn sent(&self) -> Vec<(String, String)> {
        self.sent.lock().unwrap().clone()
    }

    /// Every link sent so far.
    pub(crate) fn links(&self) -> Vec<String> {
        self.sent().into_iter().map(|(_, link)| link).collect()
    }

    /// The last link sent; panics when none was.
    pub(crate) fn last_link(&self) -> String {
        self.sent.lock().unwrap().last().expect("a mail was sent").1.clone()
    }

    /// The last mail sent; panics when none was.
    pub(crate) fn last_mail(&self) -> Mail {
        self.mails.lock().unwrap().last().expect("a mail was sent").clone()
    }

    /// The code of the last mail; panics when it has none.
    pub(crate) fn last_code(&self) -> String {
        self.last_mail().code.expect("the mail has a code")
    }

    /// How many mails were sent.
    pub(crate) fn count(&self) -> usize {
        self.sent.lock().unwrap().len()
    }
}
