//! Photos: an uploaded file is checked by decoding it (JPEG, PNG or WebP, whatever
//! its name says), bounded in size and pixels, and turned into two JPEG images —
//! a thumbnail that travels with the catalog and a medium image fetched on
//! demand — each named by the SHA-256 of its bytes (content-addressed).
//!
//! [`ImageGuards`] bounds the image work a node does for others: photo decodes
//! at once, image fetches from peers at once, and fetches that failed lately
//! (not tried again for a while).

use std::collections::{HashMap, VecDeque};
use std::io::Cursor;
use std::sync::{Mutex, PoisonError};

use image::{ImageFormat, ImageReader, Limits};
use sha2::{Digest, Sha256};
use telecenter_protocol::catalog::Photo;
use telecenter_protocol::limits::{
    IMAGE_BYTES_MAX, IMAGE_FETCH_FAILURES_MAX, IMAGE_FETCH_RETRY_MS, IMAGE_FETCHES_MAX,
    PHOTO_DECODES_MAX, PHOTO_UPLOAD_BYTES_MAX,
};
use tokio::sync::{Semaphore, SemaphorePermit};

/// Longest side of a thumbnail, in pixels.
pub const THUMB_PIXELS: u32 = 320;
/// Longest side of a medium image, in pixels.
pub const MEDIUM_PIXELS: u32 = 960;
/// Largest accepted width or height of an upload, in pixels.
pub const UPLOAD_PIXELS_MAX: u32 = 8_000;
/// Most memory the decoder may use for one upload, in bytes.
const DECODE_ALLOC_MAX: u64 = 256 * 1024 * 1024;

/// Why an upload is not a usable photo.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    /// Empty upload.
    #[error("the file is empty")]
    Empty,
    /// Over the upload limit.
    #[error("the photo is too large: at most {PHOTO_UPLOAD_BYTES_MAX} bytes, found {0}")]
    TooLarge(usize),
    /// Not a JPEG, PNG or WebP image.
    #[error("the file is not a JPEG, PNG or WebP photo")]
    NotAnImage,
    /// The image is damaged or too big to decode.
    #[error("the photo cannot be read: {0}")]
    Undecodable(String),
    /// Encoding failed.
    #[error("the photo could not be resized: {0}")]
    Encoding(String),
    /// As many photos as the node works on at once are being worked on.
    #[error("the node is busy with other photos; try again in a moment")]
    Busy,
}

/// The bounds on image work of one node (see the module comment).
#[derive(Debug)]
pub struct ImageGuards {
    decodes: Semaphore,
    fetches: Semaphore,
    failed: Mutex<FailedFetches>,
}

/// Hashes whose fetch from the peers failed, with the time until which they
/// are not tried again; oldest first, at most [`IMAGE_FETCH_FAILURES_MAX`].
#[derive(Debug, Default)]
struct FailedFetches {
    until_ms: HashMap<String, i64>,
    order: VecDeque<(String, i64)>,
}

impl Default for ImageGuards {
    fn default() -> Self {
        Self {
            decodes: Semaphore::new(PHOTO_DECODES_MAX),
            fetches: Semaphore::new(IMAGE_FETCHES_MAX),
            failed: Mutex::default(),
        }
    }
}

impl ImageGuards {
    /// Takes one of the [`PHOTO_DECODES_MAX`] decode slots, or says the node is
    /// busy: a burst of uploads never queues unbounded work.
    pub fn decode_slot(&self) -> Result<SemaphorePermit<'_>, ImageError> {
        self.decodes.try_acquire().map_err(|_| ImageError::Busy)
    }

    /// Takes one of the [`IMAGE_FETCHES_MAX`] slots for fetching from peers, if
    /// one is free.
    pub fn fetch_slot(&self) -> Option<SemaphorePermit<'_>> {
        self.fetches.try_acquire().ok()
    }

    /// Whether fetching `hash` failed less than [`IMAGE_FETCH_RETRY_MS`] before `now_ms`.
    pub fn failed_recently(&self, hash: &str, now_ms: i64) -> bool {
        let failed = self.failed.lock().unwrap_or_else(PoisonError::into_inner);
        failed
            .until_ms
            .get(hash)
            .is_some_and(|until| now_ms < *until)
    }

    /// Remembers that fetching `hash` failed at `now_ms`; forgets expired
    /// failures, and the oldest one when [`IMAGE_FETCH_FAILURES_MAX`] are held.
    pub fn remember_failure(&self, hash: &str, now_ms: i64) {
        let until = now_ms.saturating_add(IMAGE_FETCH_RETRY_MS);
        let mut failed = self.failed.lock().unwrap_or_else(PoisonError::into_inner);
        let FailedFetches { until_ms, order } = &mut *failed;
        while let Some((oldest, oldest_until)) = order.front() {
            let room = until_ms.len() < IMAGE_FETCH_FAILURES_MAX
                && order.len() < 2 * IMAGE_FETCH_FAILURES_MAX;
            if *oldest_until > now_ms && room {
                break;
            }
            // Only the newest record of a hash is in the map.
            if until_ms.get(oldest) == Some(oldest_until) {
                until_ms.remove(oldest);
            }
            order.pop_front();
        }
        until_ms.insert(hash.to_owned(), until);
        order.push_back((hash.to_owned(), until));
    }
}

/// A processed photo: the two images and their names.
#[derive(Debug, Clone)]
pub struct ProcessedPhoto {
    /// Names of the two images.
    pub photo: Photo,
    /// Thumbnail JPEG bytes.
    pub thumb: Vec<u8>,
    /// Medium JPEG bytes.
    pub medium: Vec<u8>,
}

/// The name of stored image bytes: SHA-256, lower-case hex.
pub fn image_hash(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Checks and resizes an upload.
pub fn process(upload: &[u8]) -> Result<ProcessedPhoto, ImageError> {
    if upload.is_empty() {
        return Err(ImageError::Empty);
    }
    if upload.len() > PHOTO_UPLOAD_BYTES_MAX {
        return Err(ImageError::TooLarge(upload.len()));
    }
    let mut reader = ImageReader::new(Cursor::new(upload))
        .with_guessed_format()
        .map_err(|_| ImageError::NotAnImage)?;
    match reader.format() {
        Some(ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP) => {}
        _ => return Err(ImageError::NotAnImage),
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(UPLOAD_PIXELS_MAX);
    limits.max_image_height = Some(UPLOAD_PIXELS_MAX);
    limits.max_alloc = Some(DECODE_ALLOC_MAX);
    reader.limits(limits);
    let decoded = reader
        .decode()
        .map_err(|e| ImageError::Undecodable(e.to_string()))?;
    let encode = |pixels: u32, quality: u8| -> Result<Vec<u8>, ImageError> {
        // Shrunk to fit, never enlarged: a photo already within the size keeps
        // its own (an enlarged copy costs time and bytes and shows nothing more).
        let resized = if decoded.width() <= pixels && decoded.height() <= pixels {
            decoded.to_rgb8()
        } else {
            decoded.thumbnail(pixels, pixels).to_rgb8()
        };
        let mut out = Vec::new();
        let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality);
        resized
            .write_with_encoder(encoder)
            .map_err(|e| ImageError::Encoding(e.to_string()))?;
        if out.len() > IMAGE_BYTES_MAX {
            return Err(ImageError::Encoding("result too large".into()));
        }
        Ok(out)
    };
    let thumb = encode(THUMB_PIXELS, 72)?;
    let medium = encode(MEDIUM_PIXELS, 80)?;
    Ok(ProcessedPhoto {
        photo: Photo {
            thumb: image_hash(&thumb),
            medium: image_hash(&medium),
        },
        thumb,
        medium,
    })
}

/// Whether `bytes` are a plausible stored image (JPEG) of the right size.
pub fn is_stored_image(bytes: &[u8]) -> bool {
    !bytes.is_empty()
        && bytes.len() <= IMAGE_BYTES_MAX
        && matches!(image::guess_format(bytes), Ok(ImageFormat::Jpeg))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small PNG made here, so the test needs no files.
    pub(crate) fn png(width: u32, height: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 120])
        });
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn a_png_becomes_two_named_jpegs() {
        let processed = process(&png(1200, 800)).unwrap();
        assert_eq!(processed.photo.thumb, image_hash(&processed.thumb));
        assert_eq!(processed.photo.medium, image_hash(&processed.medium));
        let thumb = image::load_from_memory(&processed.thumb).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (320, 213));
        let medium = image::load_from_memory(&processed.medium).unwrap();
        assert_eq!(medium.width(), 960);
        assert!(is_stored_image(&processed.thumb));
    }

    /// Found while giving the demo's products pictures: a 480×360 upload got a
    /// 960×720 medium image, enlarged (the slowest step, and more bytes).
    #[test]
    fn small_uploads_are_not_enlarged() {
        let processed = process(&png(480, 360)).unwrap();
        let medium = image::load_from_memory(&processed.medium).unwrap();
        assert_eq!((medium.width(), medium.height()), (480, 360));
        let thumb = image::load_from_memory(&processed.thumb).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (320, 240));
        let tiny = process(&png(100, 80)).unwrap();
        let thumb = image::load_from_memory(&tiny.thumb).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (100, 80));
    }

    #[test]
    fn files_that_are_not_photos_are_refused() {
        assert_eq!(process(b"").unwrap_err(), ImageError::Empty);
        assert_eq!(
            process(b"GIF89a not really").unwrap_err(),
            ImageError::NotAnImage
        );
        assert_eq!(
            process(b"%PDF-1.7 hello").unwrap_err(),
            ImageError::NotAnImage
        );
        let mut truncated = png(100, 100);
        truncated.truncate(60);
        assert!(matches!(
            process(&truncated),
            Err(ImageError::Undecodable(_))
        ));
        let huge = vec![0u8; PHOTO_UPLOAD_BYTES_MAX + 1];
        assert!(matches!(process(&huge), Err(ImageError::TooLarge(_))));
        // A picture with too many pixels is refused before it is decoded in full.
        assert!(matches!(
            process(&png(9000, 10)),
            Err(ImageError::Undecodable(_))
        ));
    }

    #[test]
    fn failed_image_fetches_are_remembered_for_a_while_in_bounded_memory() {
        let guards = ImageGuards::default();
        let t0 = 1_763_860_000_000;
        let first = "a".repeat(64);
        guards.remember_failure(&first, t0);
        assert!(guards.failed_recently(&first, t0 + IMAGE_FETCH_RETRY_MS - 1));
        assert!(!guards.failed_recently(&first, t0 + IMAGE_FETCH_RETRY_MS));
        assert!(!guards.failed_recently(&"b".repeat(64), t0));
        // Many failures within the retry time: the oldest are forgotten first.
        for i in 0..IMAGE_FETCH_FAILURES_MAX + 10 {
            guards.remember_failure(&format!("{i:064x}"), t0 + 1);
        }
        let failed = guards.failed.lock().unwrap();
        assert_eq!(failed.until_ms.len(), IMAGE_FETCH_FAILURES_MAX);
        assert!(failed.order.len() <= 2 * IMAGE_FETCH_FAILURES_MAX);
        assert!(!failed.until_ms.contains_key(&first));
        assert!(!failed.until_ms.contains_key(&format!("{:064x}", 0)));
        assert!(
            failed
                .until_ms
                .contains_key(&format!("{:064x}", IMAGE_FETCH_FAILURES_MAX + 9))
        );
    }

    #[test]
    fn decode_slots_are_bounded() {
        let guards = ImageGuards::default();
        let held: Vec<_> = (0..PHOTO_DECODES_MAX)
            .map(|_| guards.decode_slot().unwrap())
            .collect();
        assert_eq!(guards.decode_slot().unwrap_err(), ImageError::Busy);
        drop(held);
        assert!(guards.decode_slot().is_ok());
    }
}
