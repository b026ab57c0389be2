//! Shares and reveals a secret in one process on the in-memory store: a
//! passphrase that travels apart from the link, and a receipt for the sender.
#![forbid(unsafe_code)]

use oneshot_core::store::ReceiptState;
use oneshot_core::v2::Passphrase;
use oneshot_core::{OneShot, RevealError, ShareOptions};
use oneshot_memory::MemoryStore;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let oneshot = OneShot::new(MemoryStore::new());

    let options = ShareOptions::new()
        .passphrase(Passphrase::new("told by phone")?)
        .receipt(true);
    let share = oneshot
        .share(b"correct horse battery staple", &options)
        .await?;
    let link = share.link("http://127.0.0.1:3000/s")?;
    println!("1. shared a secret; id {} (safe to log)", share.id());
    println!("2. the link, key in the fragment: {}", link.as_str());
    let receipt = share.receipt().ok_or("a receipt was asked for")?.claim();

    let key = oneshot_core::link::parse_key(&link)?;
    match oneshot
        .reveal(&key, Some(&Passphrase::new("a guess")?))
        .await
    {
        Err(RevealError::WrongPassphrase { attempts_left }) => {
            println!("3. a wrong passphrase burns nothing: {attempts_left} attempts left");
        }
        other => println!("3. a wrong passphrase gave {other:?} (unexpected)"),
    }
    let passphrase = Passphrase::new("told by phone")?;
    match oneshot.reveal(&key, Some(&passphrase)).await? {
        Some(secret) => println!(
            "4. first reveal: {:?}",
            String::from_utf8_lossy(secret.body())
        ),
        None => println!("4. first reveal found nothing (unexpected)"),
    }
    match oneshot.reveal(&key, Some(&passphrase)).await? {
        Some(_) => println!("5. second reveal found the secret again (a bug!)"),
        None => println!("5. second reveal: nothing; the secret is gone"),
    }
    match oneshot.receipt(&share.id(), &receipt).await? {
        Some(story) if matches!(story.state, ReceiptState::Read { .. }) => println!(
            "6. the sender's receipt says: read, after {} wrong passphrase(s)",
            story.failed_attempts
        ),
        other => println!("6. the receipt says {other:?} (unexpected)"),
    }
    Ok(())
}
