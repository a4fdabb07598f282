//! A QR code as an image (black modules on white, with a quiet zone).

use bevy::asset::RenderAssetUsages;
use bevy::image::{Image, ImageSampler};
use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat};

/// Modules of white border (the standard asks for 4).
const QUIET: usize = 4;

/// One pixel per module, drawn at the node's size without smoothing (nearest
/// pixel): square modules with sharp edges at any size, and a picture of a
/// few kilobytes instead of half a mebibyte at 8 pixels a module (kept twice,
/// in memory and as a texture, for every QR code on screen).
pub fn image(payload: &str) -> Option<Image> {
    let code = qrcode::QrCode::new(payload.as_bytes()).ok()?;
    let n = code.width();
    let side = n + 2 * QUIET;
    let mut data = vec![255u8; side * side * 4];
    let colours = code.to_colors();
    for y in 0..n {
        for x in 0..n {
            if colours[y * n + x] == qrcode::Color::Dark {
                let i = ((y + QUIET) * side + x + QUIET) * 4;
                data[i..i + 3].copy_from_slice(&[0, 0, 0]);
            }
        }
    }
    let mut image = Image::new(
        Extent3d {
            width: side as u32,
            height: side as u32,
            depth_or_array_layers: 1,
        },
        TextureDimension::D2,
        data,
        TextureFormat::Rgba8UnormSrgb,
        RenderAssetUsages::RENDER_WORLD | RenderAssetUsages::MAIN_WORLD,
    );
    image.sampler = ImageSampler::nearest();
    Some(image)
}
