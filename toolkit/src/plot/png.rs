//! A minimal PNG encoder (8-bit grayscale or RGB, no filtering), enough for
//! pictures of digits and feature maps without an image library.
//!
//! ```
//! let bytes = fireside::plot::encode_png(2, 2, 1, &[0, 255, 255, 0]);   // a 2x2 checker
//! assert_eq!(&bytes[1..4], b"PNG");
//! ```

use flate2::Compression;
use flate2::write::ZlibEncoder;
use std::io::Write;

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in bytes {
        crc ^= byte as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// Encodes `pixels` (row-major, `channels` = 1 for gray or 3 for RGB, one
/// byte each) as a PNG file. Show it with `display(&png(bytes))`, or write
/// it to a `.png` file.
///
/// ```
/// use fireside::prelude::*;
/// let bytes = fireside::plot::encode_png(3, 1, 3, &[255, 0, 0, 0, 255, 0, 0, 0, 255]);   // red, green, blue
/// assert!(bytes.starts_with(b"\x89PNG"));
/// let picture = png(bytes);   // leave it last in a cell to see it
/// ```
pub fn encode_png(width: usize, height: usize, channels: usize, pixels: &[u8]) -> Vec<u8> {
    assert!(channels == 1 || channels == 3, "PNG pictures here are gray (1 channel) or RGB (3)");
    assert_eq!(pixels.len(), width * height * channels, "pixel count");
    let mut raw = Vec::with_capacity((width * channels + 1) * height);
    for row in pixels.chunks(width * channels) {
        raw.push(0); // filter: none
        raw.extend_from_slice(row);
    }
    let mut zlib = ZlibEncoder::new(Vec::new(), Compression::default());
    zlib.write_all(&raw).expect("writing to memory");
    let compressed = zlib.finish().expect("writing to memory");

    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut header = Vec::with_capacity(13);
    header.extend_from_slice(&(width as u32).to_be_bytes());
    header.extend_from_slice(&(height as u32).to_be_bytes());
    header.extend_from_slice(&[8, if channels == 1 { 0 } else { 2 }, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &header);
    chunk(&mut out, b"IDAT", &compressed);
    chunk(&mut out, b"IEND", &[]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_matches_the_png_specification_example() {
        assert_eq!(crc32(b"IEND"), 0xAE42_6082);
    }

    #[test]
    fn a_png_starts_with_its_signature_and_header() {
        let png = encode_png(2, 1, 1, &[0, 255]);
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&png[12..16], b"IHDR");
    }
}
