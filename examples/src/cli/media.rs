//! A file's media type guessed from its name's extension: a small built-in
//! table of what people share, `application/octet-stream` (sent as an empty
//! media type, which the format reads as that) for the rest.

/// Extensions (lowercase) and their media types.
const TYPES: &[(&str, &str)] = &[
    ("7z", "application/x-7z-compressed"),
    ("csv", "text/csv"),
    ("doc", "application/msword"),
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    ("gif", "image/gif"),
    ("gz", "application/gzip"),
    ("htm", "text/html"),
    ("html", "text/html"),
    ("jpeg", "image/jpeg"),
    ("jpg", "image/jpeg"),
    ("json", "application/json"),
    ("kdbx", "application/x-keepass2"),
    ("md", "text/markdown"),
    ("mp3", "audio/mpeg"),
    ("mp4", "video/mp4"),
    ("odt", "application/vnd.oasis.opendocument.text"),
    ("ods", "application/vnd.oasis.opendocument.spreadsheet"),
    ("pdf", "application/pdf"),
    ("pem", "application/x-pem-file"),
    ("png", "image/png"),
    ("svg", "image/svg+xml"),
    ("tar", "application/x-tar"),
    ("tgz", "application/gzip"),
    ("toml", "application/toml"),
    ("txt", "text/plain"),
    ("webp", "image/webp"),
    ("xls", "application/vnd.ms-excel"),
    (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    ("xml", "application/xml"),
    ("yaml", "application/yaml"),
    ("yml", "application/yaml"),
    ("zip", "application/zip"),
];

/// The media type for a file called `name`, or `""` (meaning
/// `application/octet-stream`) for an extension not in the table.
pub fn guess_media_type(name: &str) -> &'static str {
    let Some((stem, extension)) = name.rsplit_once('.') else {
        return "";
    };
    if stem.is_empty() {
        return ""; // `.env`: a name, not an extension
    }
    let extension = extension.to_ascii_lowercase();
    TYPES
        .iter()
        .find(|(known, _)| *known == extension)
        .map_or("", |(_, media_type)| media_type)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guesses_from_the_extension_only() {
        assert_eq!(guess_media_type("report.PDF"), "application/pdf");
        assert_eq!(guess_media_type("a.tar.gz"), "application/gzip");
        assert_eq!(guess_media_type("notes.txt"), "text/plain");
        for unknown in ["README", ".env", "x.unknown", "trailing.", ""] {
            assert_eq!(guess_media_type(unknown), "", "{unknown:?}");
        }
        for (extension, media_type) in TYPES {
            assert_eq!(extension.to_ascii_lowercase(), *extension);
            assert!(
                oneshot_core::v2::validate_media_type(media_type).is_ok(),
                "{media_type}"
            );
        }
        let mut sorted = TYPES.to_vec();
        sorted.sort_unstable();
        sorted.dedup_by_key(|(extension, _)| *extension);
        assert_eq!(sorted.len(), TYPES.len(), "no extension twice");
    }
}
