//! The outbox: every email and SMS the emulator "sends", kept so developers and tests can read
//! the codes and links a real user would receive.

use rusqlite::params;
use serde::Serialize;

use super::Store;

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS outbox (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    to_addr     TEXT NOT NULL COLLATE NOCASE,
    kind        TEXT NOT NULL,
    code        TEXT,
    token       TEXT,
    link        TEXT,
    created_at  INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_by_to ON outbox(to_addr);
";

/// What a message is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    MagicLink,
    Otc,
    SmsCode,
    MfaSmsCode,
    MfaEmailCode,
    PasswordReset,
    Activation,
    PhoneVerification,
}

impl MessageKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::MagicLink => "magic_link",
            Self::Otc => "otc",
            Self::SmsCode => "sms_code",
            Self::MfaSmsCode => "mfa_sms_code",
            Self::MfaEmailCode => "mfa_email_code",
            Self::PasswordReset => "password_reset",
            Self::Activation => "activation",
            Self::PhoneVerification => "phone_verification",
        }
    }
}

/// One message, as `GET /emulator/v1/outbox` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboxMessage {
    /// Email address or phone number.
    pub to: String,
    /// Stored as text; see [`MessageKind`].
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// Unix seconds (emulator clock).
    pub created_at: i64,
}

/// A message to record; fields that don't apply stay `None`.
#[derive(Debug, Clone, Copy)]
pub struct NewMessage<'a> {
    pub to: &'a str,
    pub kind: MessageKind,
    pub code: Option<&'a str>,
    pub token: Option<&'a str>,
    pub link: Option<&'a str>,
}

impl Store {
    /// Records a message as sent.
    pub fn send_message(&self, message: NewMessage<'_>, now: i64) -> rusqlite::Result<()> {
        self.conn().execute(
            "INSERT INTO outbox (to_addr, kind, code, token, link, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![message.to, message.kind.as_str(), message.code, message.token, message.link, now],
        )?;
        Ok(())
    }

    /// Messages sent to `to` (every message when `None`), oldest first.
    pub fn outbox(&self, to: Option<&str>) -> rusqlite::Result<Vec<OutboxMessage>> {
        let conn = self.conn();
        let mut statement = conn.prepare(
            "SELECT to_addr, kind, code, token, link, created_at FROM outbox
             WHERE ?1 IS NULL OR to_addr = ?1 ORDER BY id",
        )?;
        let rows = statement.query_map(params![to], |row| {
            Ok(OutboxMessage {
                to: row.get(0)?,
                kind: row.get(1)?,
                code: row.get(2)?,
                token: row.get(3)?,
                link: row.get(4)?,
                created_at: row.get(5)?,
            })
        })?;
        rows.collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Storage;

    #[test]
    fn messages_are_listed_per_address_oldest_first() {
        let store = Store::open(&Storage::Memory).unwrap();
        for (to, code) in [("a@x.io", "1"), ("+15550001", "2"), ("A@x.io", "3")] {
            let message = NewMessage {
                to,
                kind: MessageKind::Otc,
                code: Some(code),
                token: None,
                link: None,
            };
            store.send_message(message, 10).unwrap();
        }
        let codes: Vec<_> = store
            .outbox(Some("a@X.io"))
            .unwrap()
            .into_iter()
            .filter_map(|m| m.code)
            .collect();
        assert_eq!(codes, ["1", "3"]);
        assert_eq!(store.outbox(None).unwrap().len(), 3);
        assert_eq!(store.outbox(Some("+15550001")).unwrap()[0].kind, "otc");
    }
}
