//! The Wi-Fi QR code as an image (black modules on white, with a quiet zone).

use bevy::asset::RenderAssetUsages;
use bevy::image::Image;
use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat};

/// Pixels per module.
const SCALE: usize = 8;
/// Modules of white border (the standard asks for 4).
const QUIET: usize = 4;

pub fn image(payload: &str) -> Option<Image> {
    let code = qrcode::QrCode::new(payload.as_bytes()).ok()?;
    let n = code.width();
    let side = (n + 2 * QUIET) * SCALE;
    let mut data = vec![255u8; side * side * 4];
    let colours = code.to_colors();
    for y in 0..n {
        for x in 0..n {
            if colours[y * n + x] == qrcode::Color::Dark {
                for dy in 0..SCALE {
                    for dx in 0..SCALE {
                        let px = (x + QUIET) * SCALE + dx;
                        let py = (y + QUIET) * SCALE + dy;
                        let i = (py * side + px) * 4;
                        data[i..i + 3].copy_from_slice(&[0, 0, 0]);
                    }
                }
            }
        }
    }
    Some(Image::new(
        Extent3d {
            width: side as u32,
            height: side as u32,
            depth_or_array_layers: 1,
        },
        TextureDimension::D2,
        data,
        TextureFormat::Rgba8UnormSrgb,
        RenderAssetUsages::RENDER_WORLD | RenderAssetUsages::MAIN_WORLD,
    ))
}
