//! The IDX file format of MNIST and Fashion-MNIST, raw or gzipped.
//!
//! An IDX file, as published with MNIST, is
//!
//! | bytes | content |
//! | --- | --- |
//! | 2 | `00 00` |
//! | 1 | the data type: `08` for unsigned bytes (the only one MNIST uses) |
//! | 1 | the number of dimensions, `d` |
//! | 4 × `d` | each dimension, a big-endian `u32` |
//! | the product of the dimensions | the values, row-major |
//!
//! MNIST's images file is `[count, 28, 28]`, its labels file `[count]`.
//! A file that starts with the gzip magic bytes `1f 8b` is decompressed
//! first, whatever its name.

use std::fs;
use std::io::{Read, Write};
use std::path::Path;

use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;

use crate::error::{DatasetError, MAX_GZIP_RATIO, Result, is_idx_dtype};

/// The first two bytes of every gzip file.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The IDX data type byte for unsigned bytes.
const UNSIGNED_BYTE: u8 = 0x08;

/// The length of the magic number: two zero bytes, the data type, the dimension count.
const MAGIC_LEN: usize = 4;

/// How [`IdxArray::write`] stores a file.
///
/// ```
/// use fireside_datasets::idx::Compression;
///
/// let compression = Compression::Gzip;
/// assert_ne!(compression, Compression::Raw);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    /// The IDX bytes as they are.
    Raw,
    /// Gzipped at the best compression level, like the published MNIST files.
    Gzip,
}

/// The content of an IDX file of unsigned bytes: its dimensions and its values.
///
/// ```
/// use fireside_datasets::idx::IdxArray;
///
/// let labels = IdxArray::new(vec![3], vec![7, 2, 1]);
/// assert_eq!(labels.dims(), &[3]);
/// assert_eq!(labels.data(), &[7, 2, 1]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdxArray {
    dims: Vec<usize>,
    data: Vec<u8>,
}

impl IdxArray {
    /// An array of the given dimensions holding `data` in row-major order.
    ///
    /// # Panics
    ///
    /// If `data.len()` is not the product of `dims`, if there are more than
    /// 255 dimensions, or if a dimension does not fit in a `u32`: the IDX
    /// format could not store such an array.
    ///
    /// ```
    /// use fireside_datasets::idx::IdxArray;
    ///
    /// let two_images = IdxArray::new(vec![2, 2, 2], vec![0, 255, 255, 0, 1, 2, 3, 4]);
    /// assert_eq!(two_images.data().len(), 8);
    /// ```
    pub fn new(dims: Vec<usize>, data: Vec<u8>) -> Self {
        let count: usize = dims.iter().product();
        assert_eq!(count, data.len(), "dimensions {dims:?} need {count} values, got {}", data.len());
        assert!(dims.len() <= u8::MAX as usize, "IDX stores at most 255 dimensions, got {}", dims.len());
        assert!(
            dims.iter().all(|&dim| u32::try_from(dim).is_ok()),
            "IDX stores dimensions as u32, got {dims:?}"
        );
        Self { dims, data }
    }

    /// The dimensions, e.g. `[60000, 28, 28]` for MNIST's training images.
    ///
    /// ```
    /// # use fireside_datasets::idx::IdxArray;
    /// assert_eq!(IdxArray::new(vec![1, 2], vec![0, 0]).dims(), &[1, 2]);
    /// ```
    pub fn dims(&self) -> &[usize] {
        &self.dims
    }

    /// The values, row-major.
    ///
    /// ```
    /// # use fireside_datasets::idx::IdxArray;
    /// assert_eq!(IdxArray::new(vec![2], vec![4, 5]).data(), &[4, 5]);
    /// ```
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// The values, row-major, without copying them.
    ///
    /// ```
    /// # use fireside_datasets::idx::IdxArray;
    /// let values: Vec<u8> = IdxArray::new(vec![2], vec![4, 5]).into_data();
    /// assert_eq!(values, vec![4, 5]);
    /// ```
    pub fn into_data(self) -> Vec<u8> {
        self.data
    }

    /// Reads an IDX file of unsigned bytes, raw or gzipped (recognised by its
    /// first bytes, not by its name).
    ///
    /// The error names the file and says what is wrong with it: not an IDX
    /// file, truncated, damaged gzip, another data type than unsigned bytes.
    ///
    /// ```no_run
    /// use fireside_datasets::idx::IdxArray;
    ///
    /// let images = IdxArray::read("train-images-idx3-ubyte.gz")?;
    /// println!("{:?}", images.dims()); // [60000, 28, 28]
    /// # Ok::<(), fireside_datasets::DatasetError>(())
    /// ```
    pub fn read(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = fs::read(path).map_err(|source| DatasetError::Io { path: path.into(), source })?;
        if bytes.starts_with(&GZIP_MAGIC) {
            Self::parse(&decompress_as_announced(&bytes, path)?, path)
        } else {
            Self::parse(&bytes, path)
        }
    }

    /// Parses the (decompressed) bytes of an IDX file; `path` only names the
    /// file in error messages.
    ///
    /// ```
    /// use std::path::Path;
    /// use fireside_datasets::idx::IdxArray;
    ///
    /// let bytes = [0, 0, 0x08, 1, 0, 0, 0, 2, 7, 9];
    /// let labels = IdxArray::parse(&bytes, Path::new("labels"))?;
    /// assert_eq!(labels.data(), &[7, 9]);
    /// # Ok::<(), fireside_datasets::DatasetError>(())
    /// ```
    pub fn parse(bytes: &[u8], path: &Path) -> Result<Self> {
        let truncated = |expected: u64| DatasetError::Truncated {
            path: path.into(),
            expected,
            actual: bytes.len() as u64,
        };

        let Some(&[zero_a, zero_b, dtype, dim_count]) = bytes.get(..MAGIC_LEN) else {
            // Shorter than a magic number: truncated if what is there could begin one.
            let could_begin_magic = bytes.iter().take(2).all(|&byte| byte == 0);
            return Err(if could_begin_magic {
                truncated(MAGIC_LEN as u64)
            } else {
                DatasetError::BadMagic { path: path.into(), found: bytes.to_vec() }
            });
        };
        if zero_a != 0 || zero_b != 0 || !is_idx_dtype(dtype) {
            return Err(DatasetError::BadMagic { path: path.into(), found: bytes[..MAGIC_LEN].to_vec() });
        }
        if dtype != UNSIGNED_BYTE {
            return Err(DatasetError::UnsupportedDtype { path: path.into(), dtype });
        }

        let header_len = MAGIC_LEN + 4 * usize::from(dim_count);
        let Some(dim_bytes) = bytes.get(MAGIC_LEN..header_len) else {
            return Err(truncated(header_len as u64));
        };
        let dims: Vec<usize> = dim_bytes
            .chunks_exact(4)
            .map(|chunk| u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]) as usize)
            .collect();

        let data_len = dims.iter().fold(1u64, |len, &dim| len.saturating_mul(dim as u64));
        let expected = (header_len as u64).saturating_add(data_len);
        let actual = bytes.len() as u64;
        if actual < expected {
            return Err(truncated(expected));
        }
        if actual > expected {
            return Err(DatasetError::TrailingData { path: path.into(), expected, actual });
        }
        Ok(Self { dims, data: bytes[header_len..].to_vec() })
    }

    /// The bytes of this array as a raw IDX file.
    ///
    /// ```
    /// use fireside_datasets::idx::IdxArray;
    ///
    /// let bytes = IdxArray::new(vec![2], vec![7, 9]).to_bytes();
    /// assert_eq!(bytes, [0, 0, 0x08, 1, 0, 0, 0, 2, 7, 9]);
    /// ```
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(MAGIC_LEN + 4 * self.dims.len() + self.data.len());
        // `new` checked that the dimension count fits a u8 and each dimension a u32.
        bytes.extend_from_slice(&[0, 0, UNSIGNED_BYTE, self.dims.len() as u8]);
        for &dim in &self.dims {
            bytes.extend_from_slice(&(dim as u32).to_be_bytes());
        }
        bytes.extend_from_slice(&self.data);
        bytes
    }

    /// Writes this array as an IDX file, raw or gzipped.
    ///
    /// ```no_run
    /// use fireside_datasets::idx::{Compression, IdxArray};
    ///
    /// let labels = IdxArray::new(vec![3], vec![7, 2, 1]);
    /// labels.write("labels-idx1-ubyte.gz", Compression::Gzip)?;
    /// # Ok::<(), fireside_datasets::DatasetError>(())
    /// ```
    pub fn write(&self, path: impl AsRef<Path>, compression: Compression) -> Result<()> {
        let path = path.as_ref();
        let write_error = |source| DatasetError::Write { path: path.into(), source };
        let bytes = match compression {
            Compression::Raw => self.to_bytes(),
            Compression::Gzip => {
                let mut encoder = GzEncoder::new(Vec::new(), flate2::Compression::best());
                encoder.write_all(&self.to_bytes()).map_err(write_error)?;
                encoder.finish().map_err(write_error)?
            }
        };
        fs::write(path, bytes).map_err(write_error)
    }
}

/// Decompresses a gzipped IDX file no further than its header announces (and
/// one byte more, so that trailing data is still reported): a small file
/// that expands without bound (a "gzip bomb") is refused, not unpacked.
fn decompress_as_announced(bytes: &[u8], path: &Path) -> Result<Vec<u8>> {
    let bad_gzip = |source| DatasetError::BadGzip { path: path.into(), source };
    let mut decoder = MultiGzDecoder::new(bytes);
    let mut decompressed = Vec::new();
    (&mut decoder).take(MAGIC_LEN as u64).read_to_end(&mut decompressed).map_err(bad_gzip)?;
    let Some(&dim_count) = decompressed.get(MAGIC_LEN - 1) else {
        return Ok(decompressed);
    };
    (&mut decoder).take(4 * u64::from(dim_count)).read_to_end(&mut decompressed).map_err(bad_gzip)?;
    let announced = decompressed[MAGIC_LEN..]
        .chunks_exact(4)
        .map(|chunk| u64::from(u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]])))
        .fold(1u64, u64::saturating_mul);
    let compressed = bytes.len() as u64;
    if announced > compressed.saturating_mul(MAX_GZIP_RATIO) {
        return Err(DatasetError::ImplausibleSize { path: path.into(), declared: announced, compressed });
    }
    decoder.take(announced.saturating_add(1)).read_to_end(&mut decompressed).map_err(bad_gzip)?;
    Ok(decompressed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::scratch_dir;

    fn sample() -> IdxArray {
        IdxArray::new(vec![3, 2, 2], (0..12).collect())
    }

    #[test]
    fn round_trips_raw_and_gzip() {
        let dir = scratch_dir("idx-round-trip");
        for (name, compression) in
            [("raw-idx3-ubyte", Compression::Raw), ("gz-idx3-ubyte.gz", Compression::Gzip)]
        {
            let path = dir.join(name);
            sample().write(&path, compression).unwrap();
            assert_eq!(IdxArray::read(&path).unwrap(), sample(), "{name}");
        }
    }

    #[test]
    fn a_gzip_bomb_behind_a_small_header_is_refused_without_unpacking_it() {
        use flate2::Compression as Level;
        let dir = scratch_dir("idx-gzip-bomb");
        let path = dir.join("bomb-idx1-ubyte.gz");
        // A header that announces 16 bytes, then 64 MiB of zeros (65 KB compressed).
        let mut encoder = GzEncoder::new(Vec::new(), Level::best());
        encoder.write_all(&[0, 0, 0x08, 1, 0, 0, 0, 16]).unwrap();
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..64 {
            encoder.write_all(&zeros).unwrap();
        }
        fs::write(&path, encoder.finish().unwrap()).unwrap();
        let error = IdxArray::read(&path).unwrap_err();
        assert!(matches!(error, DatasetError::TrailingData { expected: 24, actual: 25, .. }), "{error}");

        // A header that announces more than the file could ever hold.
        let mut encoder = GzEncoder::new(Vec::new(), Level::best());
        encoder.write_all(&[0, 0, 0x08, 3, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0]).unwrap();
        fs::write(&path, encoder.finish().unwrap()).unwrap();
        let error = IdxArray::read(&path).unwrap_err();
        assert!(matches!(error, DatasetError::ImplausibleSize { .. }), "{error}");
        assert!(error.to_string().contains("download it again"));
    }

    #[test]
    fn detects_gzip_by_content_not_by_name() {
        let dir = scratch_dir("idx-gzip-detection");
        let gzipped_without_gz = dir.join("images-idx3-ubyte");
        let raw_with_gz = dir.join("labels-idx1-ubyte.gz");
        sample().write(&gzipped_without_gz, Compression::Gzip).unwrap();
        sample().write(&raw_with_gz, Compression::Raw).unwrap();
        assert_eq!(fs::read(&gzipped_without_gz).unwrap()[..2], GZIP_MAGIC);
        assert_eq!(IdxArray::read(&gzipped_without_gz).unwrap(), sample());
        assert_eq!(IdxArray::read(&raw_with_gz).unwrap(), sample());
    }

    #[test]
    fn truncated_file_names_the_file_and_the_sizes() {
        let dir = scratch_dir("idx-truncated");
        let path = dir.join("train-images-idx3-ubyte");
        let bytes = sample().to_bytes();
        fs::write(&path, &bytes[..bytes.len() - 5]).unwrap();

        let error = IdxArray::read(&path).unwrap_err();
        assert!(matches!(error, DatasetError::Truncated { expected: 28, actual: 23, .. }), "{error:?}");
        let message = error.to_string();
        assert!(message.contains(&path.display().to_string()), "{message}");
        assert!(message.contains("truncated"), "{message}");
        assert!(message.contains("expected 28 bytes, got 23"), "{message}");
        assert!(message.contains("download it again"), "{message}");
    }

    #[test]
    fn truncated_gzip_is_an_error_naming_the_file() {
        let dir = scratch_dir("idx-truncated-gzip");
        let path = dir.join("images.gz");
        sample().write(&path, Compression::Gzip).unwrap();
        let bytes = fs::read(&path).unwrap();
        fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();

        let message = IdxArray::read(&path).unwrap_err().to_string();
        assert!(message.contains(&path.display().to_string()), "{message}");
        assert!(message.contains("truncated"), "{message}");
    }

    #[test]
    fn truncated_header_is_reported_as_truncated() {
        let path = Path::new("short");
        let too_short: [&[u8]; 3] = [&[], &[0, 0], &[0, 0, 8, 3, 0, 0]];
        for bytes in too_short {
            let error = IdxArray::parse(bytes, path).unwrap_err();
            assert!(matches!(error, DatasetError::Truncated { .. }), "{bytes:?}: {error:?}");
        }
    }

    #[test]
    fn bad_magic_says_it_is_not_an_idx_file() {
        let path = Path::new("notes.txt");
        let error = IdxArray::parse(b"hello, world", path).unwrap_err();
        assert!(matches!(error, DatasetError::BadMagic { .. }), "{error:?}");
        let message = error.to_string();
        assert!(message.contains("notes.txt is not an IDX file"), "{message}");
        assert!(message.contains("68 65 6c 6c"), "{message}");
    }

    #[test]
    fn other_data_types_are_unsupported() {
        let floats = [0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0];
        let error = IdxArray::parse(&floats, Path::new("floats")).unwrap_err();
        assert!(matches!(error, DatasetError::UnsupportedDtype { dtype: 0x0d, .. }), "{error:?}");
        assert!(error.to_string().contains("32-bit float"), "{error}");
    }

    #[test]
    fn extra_bytes_are_reported() {
        let mut bytes = sample().to_bytes();
        bytes.push(0);
        let error = IdxArray::parse(&bytes, Path::new("long")).unwrap_err();
        assert!(matches!(error, DatasetError::TrailingData { expected: 28, actual: 29, .. }), "{error:?}");
    }
}
