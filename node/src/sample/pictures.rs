//! Pictures for the sample catalog, drawn here rather than downloaded: a soft
//! gradient in a colour per category, a faint pattern and one simple shape with
//! a shadow and a highlight. The same title and category always give the same
//! PNG bytes, so a sample listing's photo names (hashes) are the same on every
//! node and every run.

use std::io::Cursor;

use image::{ImageFormat, Rgb, RgbImage};
use sha2::{Digest, Sha256};
use telecenter_protocol::catalog::Category;

/// Width of a sample picture, in pixels.
pub const PICTURE_WIDTH_PIXELS: u32 = 480;
/// Height of a sample picture, in pixels.
pub const PICTURE_HEIGHT_PIXELS: u32 = 360;

/// Why a sample picture could not be made.
#[derive(Debug, thiserror::Error)]
#[error("the sample picture could not be encoded: {0}")]
pub struct PictureError(#[from] image::ImageError);

/// The main colour of a category's pictures (unknown categories are grey).
fn category_colour(category: &str) -> [f32; 3] {
    match category.parse::<Category>() {
        Ok(Category::Makanan) => [236.0, 132.0, 52.0],
        Ok(Category::Minuman) => [140.0, 88.0, 56.0],
        Ok(Category::Kerajinan) => [58.0, 140.0, 96.0],
        Ok(Category::Fesyen) => [136.0, 84.0, 170.0],
        Ok(Category::Pertanian) => [104.0, 166.0, 52.0],
        Ok(Category::JamuKesehatan) => [222.0, 178.0, 40.0],
        Ok(Category::Jasa) => [56.0, 116.0, 196.0],
        Ok(Category::Lainnya) | Err(()) => [128.0, 132.0, 140.0],
    }
}

/// The outline of the picture's one shape.
#[derive(Clone, Copy)]
enum Shape {
    Disc,
    RoundedSquare,
    Diamond,
}

/// The background texture.
#[derive(Clone, Copy)]
enum Pattern {
    Dots,
    Stripes,
}

/// Everything the drawing depends on, taken from the listing.
struct Plan {
    colour: [f32; 3],
    shape: Shape,
    pattern: Pattern,
    /// Centre of the shape, in pixels.
    centre: (f32, f32),
    /// Half the size of the shape, in pixels.
    radius: f32,
    /// Offset of the pattern, in pixels.
    phase: f32,
}

impl Plan {
    fn of(title: &str, category: &str) -> Self {
        let seed = Sha256::digest(format!("{category}\n{title}").as_bytes());
        let unit = |i: usize| f32::from(seed[i]) / 255.0;
        let (width, height) = (PICTURE_WIDTH_PIXELS as f32, PICTURE_HEIGHT_PIXELS as f32);
        Self {
            colour: category_colour(category),
            shape: match seed[0] % 3 {
                0 => Shape::Disc,
                1 => Shape::RoundedSquare,
                _ => Shape::Diamond,
            },
            pattern: if seed[1] % 2 == 0 {
                Pattern::Dots
            } else {
                Pattern::Stripes
            },
            centre: (
                width * (0.40 + 0.20 * unit(2)),
                height * (0.44 + 0.12 * unit(3)),
            ),
            radius: height * (0.22 + 0.08 * unit(4)),
            phase: 24.0 * unit(5),
        }
    }
}

/// A colour `t` of the way from `a` to `b`.
fn mix(a: [f32; 3], b: [f32; 3], t: f32) -> [f32; 3] {
    let t = t.clamp(0.0, 1.0);
    [
        a[0] + (b[0] - a[0]) * t,
        a[1] + (b[1] - a[1]) * t,
        a[2] + (b[2] - a[2]) * t,
    ]
}

const WHITE: [f32; 3] = [255.0, 255.0, 255.0];
const SHADOW: [f32; 3] = [40.0, 36.0, 32.0];

/// Signed distance from `(x, y)` (relative to the shape's centre) to the edge
/// of `shape` of half-size `r`: negative inside.
fn distance(shape: Shape, x: f32, y: f32, r: f32) -> f32 {
    let rounded_box = |x: f32, y: f32, half: f32, corner: f32| {
        let qx = x.abs() - (half - corner);
        let qy = y.abs() - (half - corner);
        let outside = (qx.max(0.0).powi(2) + qy.max(0.0).powi(2)).sqrt();
        outside + qx.max(qy).min(0.0) - corner
    };
    match shape {
        Shape::Disc => (x * x + y * y).sqrt() - r,
        Shape::RoundedSquare => rounded_box(x, y, r * 0.9, r * 0.3),
        Shape::Diamond => {
            let s = std::f32::consts::FRAC_1_SQRT_2;
            rounded_box((x + y) * s, (y - x) * s, r * 0.8, r * 0.2)
        }
    }
}

/// How much of a pixel at signed distance `d` is inside, softened over `soft` pixels.
fn coverage(d: f32, soft: f32) -> f32 {
    (0.5 - d / soft).clamp(0.0, 1.0)
}

fn pixel(plan: &Plan, x: f32, y: f32) -> [f32; 3] {
    let (width, height) = (PICTURE_WIDTH_PIXELS as f32, PICTURE_HEIGHT_PIXELS as f32);
    // A light tint at the top left deepening towards the bottom right.
    let t = 0.65 * (y / height) + 0.35 * (x / width);
    let mut colour = mix(
        mix(plan.colour, WHITE, 0.78),
        mix(plan.colour, WHITE, 0.42),
        t,
    );
    let light = mix(colour, WHITE, 0.35);
    colour = match plan.pattern {
        Pattern::Dots => {
            let (cx, cy) = (
                (x + plan.phase).rem_euclid(28.0) - 14.0,
                (y + plan.phase).rem_euclid(28.0) - 14.0,
            );
            mix(
                colour,
                light,
                coverage((cx * cx + cy * cy).sqrt() - 3.5, 1.5),
            )
        }
        Pattern::Stripes => {
            let band = (x + y + plan.phase).rem_euclid(36.0);
            mix(colour, light, coverage((band - 9.0).abs() - 7.0, 1.5))
        }
    };
    let (dx, dy) = (x - plan.centre.0, y - plan.centre.1);
    // A soft shadow below and to the right, then the shape, then a highlight.
    let shadow = distance(plan.shape, dx - 8.0, dy - 12.0, plan.radius);
    colour = mix(colour, SHADOW, 0.28 * coverage(shadow, 24.0));
    let body = distance(plan.shape, dx, dy, plan.radius);
    let shaded = mix(
        plan.colour,
        SHADOW,
        0.25 * ((dx + dy) / (2.0 * plan.radius) + 0.5),
    );
    colour = mix(colour, shaded, coverage(body, 1.5));
    let spot = distance(
        Shape::Disc,
        dx + 0.35 * plan.radius,
        dy + 0.35 * plan.radius,
        0.28 * plan.radius,
    );
    mix(colour, WHITE, 0.45 * coverage(spot, 0.4 * plan.radius))
}

/// The picture of the listing titled `title` in `category` (a category slug),
/// as PNG bytes; deterministic.
pub fn picture(title: &str, category: &str) -> Result<Vec<u8>, PictureError> {
    let plan = Plan::of(title, category);
    let image = RgbImage::from_fn(PICTURE_WIDTH_PIXELS, PICTURE_HEIGHT_PIXELS, |x, y| {
        let [r, g, b] = pixel(&plan, x as f32 + 0.5, y as f32 + 0.5);
        // In 0..=255 after the clamp, so the casts keep the value.
        Rgb([
            r.round().clamp(0.0, 255.0) as u8,
            g.round().clamp(0.0, 255.0) as u8,
            b.round().clamp(0.0, 255.0) as u8,
        ])
    });
    let mut png = Vec::new();
    image.write_to(&mut Cursor::new(&mut png), ImageFormat::Png)?;
    Ok(png)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_picture_is_a_png_of_the_set_size_and_the_same_every_time() {
        let png = picture("Keripik tempe", "makanan").unwrap();
        let decoded = image::load_from_memory_with_format(&png, ImageFormat::Png).unwrap();
        assert_eq!(
            (decoded.width(), decoded.height()),
            (PICTURE_WIDTH_PIXELS, PICTURE_HEIGHT_PIXELS)
        );
        assert_eq!(picture("Keripik tempe", "makanan").unwrap(), png);
        assert_ne!(picture("Keripik singkong", "makanan").unwrap(), png);
    }

    #[test]
    fn each_category_has_its_own_colour() {
        let slugs = [
            "makanan",
            "minuman",
            "kerajinan",
            "fesyen",
            "pertanian",
            "jamu-kesehatan",
            "jasa",
            "lainnya",
        ];
        let colours: std::collections::HashSet<_> = slugs
            .iter()
            .map(|s| category_colour(s).map(|c| c as u8))
            .collect();
        assert_eq!(colours.len(), slugs.len());
        assert_eq!(category_colour("no-such"), category_colour("lainnya"));
    }
}
