//! `oneshot status` and `oneshot burn`: the sender's receipt, through the
//! v2 receipt API. Neither needs the create token.

use oneshot_core::Zeroizing;

use super::http::{Reply, client, post_retrying, unexpected};
use super::target::{ReceiptTarget, endpoint};
use super::{CliError, exit};
use crate::ttl::format_unix_utc;
use crate::wire::v2::{
    BURN_PATH, BurnRefused, RECEIPT_PATH, Reason, ReceiptRequest, ReceiptResponse, State,
};

/// What a burn did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Burned {
    /// The secret was unread and is destroyed now.
    Burned(ReceiptResponse),
    /// It was already read, burned or expired: nothing changed.
    Refused(ReceiptResponse),
}

/// A receipt request whose claim is wiped when it is dropped.
struct Wiped(ReceiptRequest);

impl Drop for Wiped {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0.receipt_claim);
    }
}

fn request(target: &ReceiptTarget) -> Wiped {
    let mut claim: Zeroizing<String> = target.key.claim().to_b64u();
    Wiped(ReceiptRequest {
        id: target.id.to_string(),
        receipt_claim: std::mem::take(&mut *claim),
    })
}

fn not_found() -> CliError {
    CliError::new(
        exit::NOT_FOUND,
        "no such receipt: the server does not know it, or keeps it no longer (receipts are kept for a while after their secret expires)",
    )
}

fn unreadable() -> CliError {
    CliError::new(
        exit::SERVER,
        "the server sent a receipt this client cannot read",
    )
}

/// The secret's story. Repeated while the server says that is safe (reading
/// a receipt changes nothing).
pub async fn status(target: &ReceiptTarget) -> Result<ReceiptResponse, CliError> {
    let url = endpoint(&target.base, RECEIPT_PATH)?;
    match post_retrying(&client()?, &url, &request(target).0, None, 3).await? {
        Reply::Ok(reply) => serde_json::from_value(reply).map_err(|_| unreadable()),
        Reply::RetrySafe(..) => Err(CliError::new(
            exit::SERVER,
            "the server's store is unavailable; try again later",
        )),
        Reply::Error { status: 404, .. } => Err(not_found()),
        Reply::Error {
            status,
            code,
            message,
            ..
        } => Err(unexpected(status, &code, &message)),
    }
}

/// Burns the secret if it is unread. Never repeated after an answer that
/// leaves the outcome open (`indeterminate`): `status` tells.
pub async fn burn(target: &ReceiptTarget) -> Result<Burned, CliError> {
    let url = endpoint(&target.base, BURN_PATH)?;
    match post_retrying(&client()?, &url, &request(target).0, None, 3).await? {
        Reply::Ok(reply) => serde_json::from_value(reply)
            .map(Burned::Burned)
            .map_err(|_| unreadable()),
        Reply::RetrySafe(..) => Err(CliError::new(
            exit::SERVER,
            "the server's store is unavailable; nothing was burned, try again later",
        )),
        Reply::Error { status: 404, .. } => Err(not_found()),
        Reply::Error {
            status: 409, body, ..
        } => serde_json::from_value::<BurnRefused>(body)
            .map(|refused| Burned::Refused(refused.receipt))
            .map_err(|_| unreadable()),
        Reply::Error { status: 503, .. } => Err(CliError::new(
            exit::SERVER,
            "the server could not confirm whether the secret was burned, so it was not retried; `oneshot status` tells",
        )),
        Reply::Error {
            status,
            code,
            message,
            ..
        } => Err(unexpected(status, &code, &message)),
    }
}

/// A time for people, or a placeholder if the server left it out.
fn when(secs: Option<u64>) -> String {
    secs.map_or_else(|| "at an unknown time".to_owned(), format_unix_utc)
}

/// One sentence for the state: `pending: not read yet; expires …`.
pub fn describe(receipt: &ReceiptResponse) -> String {
    let expires = format_unix_utc(receipt.expires_at);
    let mut line = match receipt.state {
        State::Pending => format!("pending: not read yet; expires {expires}"),
        State::Read => format!("read: opened {}", when(receipt.read_at)),
        State::Burned => format!(
            "burned: destroyed unread {}, {}",
            when(receipt.burned_at),
            match receipt.reason {
                Some(Reason::Sender) => "by its sender",
                Some(Reason::PassphraseAttempts) => "after too many wrong passphrases",
                None => "for a reason the server did not say",
            }
        ),
        State::Expired => format!("expired: not read before {expires}"),
    };
    if receipt.failed_attempts > 0 {
        line.push_str(&format!(
            "; {} wrong passphrase{} so far",
            receipt.failed_attempts,
            if receipt.failed_attempts == 1 {
                ""
            } else {
                "s"
            }
        ));
    }
    line
}

/// The one-line error for a refused burn.
pub(crate) fn refused(receipt: &ReceiptResponse) -> CliError {
    CliError::new(
        exit::REFUSED,
        format!("not burned, nothing changed: {}", describe(receipt)),
    )
}
