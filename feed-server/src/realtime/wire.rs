//! A GTFS-Realtime body split at its top level, without decoding its entities:
//! the header, and each entity's bytes. Counting entities before decoding any
//! is what keeps a hostile message cheap: 10^6 vehicle positions fit in 6 MB
//! of protobuf and decode to gigabytes, but here they are refused after a
//! scan that allocates one slice reference per entity, up to the limit.

use gtfs_realtime::{FeedEntity, FeedHeader};
use prost::Message as _;
use prost::encoding::{DecodeContext, WireType, decode_key, decode_varint, skip_field};

/// Why a body was not split.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    #[error("not a GTFS-Realtime FeedMessage: {0}")]
    Decode(String),
    #[error("more than {max} entities in one message (feeds.realtime.max_entities); refused whole")]
    TooManyEntities { max: usize },
}

/// A FeedMessage's header and its entities, still encoded.
pub struct Split<'a> {
    pub header: FeedHeader,
    pub entities: Vec<&'a [u8]>,
}

impl<'a> Split<'a> {
    /// Reads `body` at its top level, refusing it past `max_entities` entities.
    pub fn read(body: &'a [u8], max_entities: usize) -> Result<Split<'a>, SplitError> {
        let decode = |e: prost::DecodeError| SplitError::Decode(e.to_string());
        let mut header = FeedHeader::default();
        let mut entities = Vec::new();
        let mut buf = body;
        while !buf.is_empty() {
            let (tag, wire_type) = decode_key(&mut buf).map_err(decode)?;
            match (tag, wire_type) {
                (1 | 2, WireType::LengthDelimited) => {
                    let len = decode_varint(&mut buf).map_err(decode)?;
                    let len = usize::try_from(len)
                        .ok()
                        .filter(|&n| n <= buf.len())
                        .ok_or_else(|| SplitError::Decode("a field runs past the end".into()))?;
                    let (field, rest) = buf.split_at(len);
                    buf = rest;
                    if tag == 1 {
                        header.merge(field).map_err(decode)?;
                    } else {
                        if entities.len() == max_entities {
                            return Err(SplitError::TooManyEntities { max: max_entities });
                        }
                        entities.push(field);
                    }
                }
                _ => skip_field(wire_type, tag, &mut buf, DecodeContext::default())
                    .map_err(decode)?,
            }
        }
        Ok(Split { header, entities })
    }

    /// The entities decoded one at a time, as they are consumed; the first that
    /// does not decode ends the iteration and is left in `error`.
    pub fn decoded<'s>(
        &'s self,
        error: &'s mut Option<SplitError>,
    ) -> impl Iterator<Item = FeedEntity> + 's {
        self.entities
            .iter()
            .map_while(move |bytes| match FeedEntity::decode(*bytes) {
                Ok(entity) => Some(entity),
                Err(e) => {
                    *error = Some(SplitError::Decode(e.to_string()));
                    None
                }
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gtfs_realtime::FeedMessage;

    fn message(entities: usize) -> Vec<u8> {
        FeedMessage {
            header: FeedHeader {
                gtfs_realtime_version: "2.0".into(),
                timestamp: Some(1_700_000_000),
                ..FeedHeader::default()
            },
            entity: (0..entities)
                .map(|i| FeedEntity {
                    id: format!("e{i}"),
                    ..FeedEntity::default()
                })
                .collect(),
        }
        .encode_to_vec()
    }

    #[test]
    fn a_message_splits_into_its_header_and_entities_up_to_the_limit() {
        let body = message(3);
        let split = Split::read(&body, 3).unwrap();
        assert_eq!(split.header.timestamp, Some(1_700_000_000));
        let mut error = None;
        let ids: Vec<String> = split.decoded(&mut error).map(|e| e.id).collect();
        assert_eq!(ids, ["e0", "e1", "e2"]);
        assert!(error.is_none());
        assert_eq!(
            Split::read(&body, 2).err(),
            Some(SplitError::TooManyEntities { max: 2 })
        );
        assert!(matches!(
            Split::read(&[0x12, 0x7f], 10),
            Err(SplitError::Decode(_))
        ));
    }
}
