//! Shares and reveals a secret in one process on the in-memory store.
#![forbid(unsafe_code)]

use oneshot_core::OneShot;
use oneshot_memory::MemoryStore;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let oneshot = OneShot::new(MemoryStore::new());

    let share = oneshot.share(b"correct horse battery staple", None).await?;
    let link = share.link("http://127.0.0.1:3000/s")?;
    println!("1. shared a secret; id {} (safe to log)", share.id());
    println!("2. the link, key in the fragment: {}", link.as_str());

    let key = oneshot_core::link::parse_key(&link)?;
    match oneshot.reveal(&key).await? {
        Some(secret) => println!("3. first reveal: {:?}", String::from_utf8_lossy(&secret)),
        None => println!("3. first reveal found nothing (unexpected)"),
    }
    match oneshot.reveal(&key).await? {
        Some(_) => println!("4. second reveal found the secret again (a bug!)"),
        None => println!("4. second reveal: nothing; the secret is gone"),
    }
    Ok(())
}
