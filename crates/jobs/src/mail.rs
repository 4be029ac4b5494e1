//! Outgoing email over SMTP (`SMTP_URL`, e.g. `smtp://127.0.0.1:2525` or
//! `smtps://user:pass@smtp.example.com`). Without `SMTP_URL`, messages are written to the log
//! so a development setup still shows reset links.

use anyhow::Context;
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, header::ContentType},
};
use relais_store::jobs::EmailPayload;

#[derive(Clone)]
pub enum Mailer {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        from: Mailbox,
    },
    Log,
}

impl Mailer {
    pub fn from_url(url: Option<&str>, from: &str) -> anyhow::Result<Self> {
        let from: Mailbox = from.parse().context("RELAIS_MAIL_FROM is not a mailbox")?;
        match url {
            None => Ok(Mailer::Log),
            Some(url) => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .context("SMTP_URL is not a valid SMTP URL")?
                    .timeout(Some(std::time::Duration::from_secs(20)))
                    .build();
                Ok(Mailer::Smtp { transport, from })
            }
        }
    }

    pub async fn send(&self, mail: &EmailPayload) -> anyhow::Result<()> {
        match self {
            Mailer::Log => {
                tracing::info!(to = %mail.to, subject = %mail.subject, body = %mail.text,
                    "email (no SMTP_URL configured, not sent)");
                Ok(())
            }
            Mailer::Smtp { transport, from } => {
                let msg = Message::builder()
                    .from(from.clone())
                    .to(mail.to.parse().context("recipient address")?)
                    .subject(mail.subject.clone())
                    .header(ContentType::TEXT_PLAIN)
                    .body(mail.text.clone())
                    .context("build message")?;
                transport.send(msg).await.context("SMTP send")?;
                Ok(())
            }
        }
    }
}
