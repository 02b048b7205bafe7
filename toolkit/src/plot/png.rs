//! PNG encoding of raw pixels through the `image` crate (the datasets crate
//! already builds it with PNG support).
//!
//! ```
//! let bytes = fireside::plot::encode_png(2, 2, 1, &[0, 255, 255, 0]);   // a 2x2 checker
//! assert_eq!(&bytes[1..4], b"PNG");
//! ```

use image::{ExtendedColorType, ImageEncoder, codecs::png::PngEncoder};

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
    let color = match channels {
        1 => ExtendedColorType::L8,
        3 => ExtendedColorType::Rgb8,
        _ => panic!("PNG pictures here are gray (1 channel) or RGB (3), not {channels} channels"),
    };
    assert_eq!(pixels.len(), width * height * channels, "pixel count");
    let mut out = Vec::new();
    PngEncoder::new(&mut out)
        .write_image(pixels, width as u32, height as u32, color)
        .expect("encoding a PNG into memory");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_png_decodes_to_the_pixels_it_was_given() {
        let pixels = [0, 255, 10, 20, 30, 40];
        let decoded = image::load_from_memory(&encode_png(3, 2, 1, &pixels)).unwrap().to_luma8();
        assert_eq!((decoded.width(), decoded.height()), (3, 2));
        assert_eq!(decoded.into_raw(), pixels);
    }
}
