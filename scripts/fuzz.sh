#!/usr/bin/env bash
# Runs one fuzz target (cargo-fuzz, libFuzzer) for a while, its corpus seeded
# from ../shared/fixtures (read in place, never copied into the repository) and
# the repository's own cases.
#
#   scripts/fuzz.sh TARGET [SECONDS]     e.g. scripts/fuzz.sh cap 600
#   scripts/fuzz.sh list
#
# Targets: gtfs_rt cap gtfs_zip gtfs_tables notice_json http_body stream_frame layout_ron
# siri_et siri_sm siri_sx siri_gm lorawan_uplink sensor_endpoint facility_datex2
# facility_parkapi facility_siri_fm facility_gbfs facility_bnlc.
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`).
# Crashes land in fuzz/artifacts/TARGET/; each one found is fixed and kept as a
# regression test in the normal suite (docs/reliability.md lists them). The last
# lines of the run (execs, coverage, corpus) are printed for docs/reliability.md.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:?usage: scripts/fuzz.sh TARGET [SECONDS] | list}"
seconds="${2:-600}"
fixtures="${QUAI_FIXTURES:-../shared/fixtures}"
if [ "$target" = list ]; then
  grep -o '^name = "[a-z_]*"' fuzz/Cargo.toml | sed 's/name = //; s/"//g' | grep -v quai-fuzz
  exit 0
fi
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
seeds="fuzz/corpus/$target"
mkdir -p "$seeds"

# Copies a seed file into the corpus (the corpus is outside git: fuzz/corpus).
seed() { cp -f "$1" "$seeds/$(basename "$1")${2:-}" 2>/dev/null || true; }
# The same, with one selector byte in front (targets that pick a kind or table).
seed_with() {
  local byte="$1" file="$2"
  { printf "\\x$(printf %02x "$byte")"; cat "$file"; } >"$seeds/$byte-$(basename "$file")"
}

max_len=65536
case "$target" in
  gtfs_rt)
    while IFS= read -r f; do
      for k in 0 1 2; do seed_with "$k" "$f"; done
    done < <(find "$fixtures/gtfs-rt" -type f \( -name '*.pb' -o -name '*.pbf' -o -name '*.gtfsrt' \))
    max_len=1048576 ;;
  cap)
    find "$fixtures/cap" -type f \( -name '*.xml' -o -name '*.cap' -o -name '*.atom' -o -name '*.rss' \) |
      while IFS= read -r f; do seed "$f"; done
    # Météo-France's app API warnings: JSON of the same content as the vigilance map.
    find "$fixtures/meteofrance" -type f -name '*.json' | while IFS= read -r f; do seed "$f"; done
    printf '%s' '{"product":{"update_time":"2026-07-01T04:00:00Z","periods":[{"echeance":"J","begin_validity_time":"2026-06-30T22:00:00Z","end_validity_time":"2026-07-01T22:00:00Z","timelaps":{"domain_ids":[{"domain_id":"59","phenomenon_items":[{"phenomenon_id":"6","phenomenon_max_color_id":3,"timelaps_items":[{"begin_time":"2026-07-01T10:00:00Z","end_time":"2026-07-01T22:00:00Z","color_id":3}]}]}]}}]}}' >"$seeds/vigilance.json" ;;
  gtfs_zip)
    for f in google-sample-feed/sample-feed.zip transitland-example-edge/example.zip caltrain-2023/ct.zip; do
      seed "$fixtures/gtfs/$f"
    done
    max_len=1048576 ;;
  gtfs_tables)
    tables=(agency stops routes trips stop_times calendar calendar_dates frequencies feed_info)
    for i in "${!tables[@]}"; do
      f="feed-server/demo/gtfs/${tables[$i]}.txt"
      [ -f "$f" ] && seed_with "$i" "$f"
    done
    tmp=$(mktemp -d)
    (cd "$tmp" && python3 -c "import zipfile,sys; zipfile.ZipFile(sys.argv[1]).extractall()" \
      "$OLDPWD/$fixtures/gtfs/google-sample-feed/sample-feed.zip")
    for i in "${!tables[@]}"; do
      [ -f "$tmp/${tables[$i]}.txt" ] && seed_with "$i" "$tmp/${tables[$i]}.txt"
    done
    rm -rf "$tmp" ;;
  notice_json)
    printf '%s' '{"severity":"warning","cause":"construction","effect":"detour","header":{"fr":"Travaux","en":"Works"},"description":{"fr":"Ligne 4 déviée"},"screen_text":{"fr":"Ligne 4 déviée"},"informed_entities":[{"stop_id":"demo:CAUDRY"},{"route_id":"demo:4"}],"active_periods":[{"start":"2026-07-01T06:00:00+02:00","end":"2026-07-02T06:00:00+02:00"}]}' >"$seeds/detour.json"
    printf '%s' '{"severity":"severe","cause":"police_activity","effect":"no_service","header":{"fr":"Gare fermée"},"informed_entities":[{"stop_id":"demo:CAUDRY"}],"weekly":[{"days":["mon","tue"],"from":"06:00","to":"09:30"}]}' >"$seeds/severe.json" ;;
  http_body)
    # First byte: even = POST /v1/notices, odd = PATCH of an existing notice.
    printf '\x00%s' '{"severity":"warning","cause":"construction","effect":"detour","header":{"fr":"Travaux"},"informed_entities":[{"station":"caudry"}]}' >"$seeds/post.json"
    printf '\x01%s' '{"header":{"fr":"Quai C fermé","en":"Bay C closed"},"status":"published"}' >"$seeds/patch.json"
    printf '\x01%s' '{"informed_entities":null}' >"$seeds/patch-null.json" ;;
  stream_frame)
    printf '%s' '{"op":"subscribe","station":"caudry","since":1782884400000,"lang":["fr","en"]}' >"$seeds/subscribe.json"
    printf '%s' '{"op":"ping"}' >"$seeds/ping.json"
    printf '%s' '{"op":"unsubscribe","station":"caudry"}' >"$seeds/unsubscribe.json"
    find docs/schemas -name '*.json' | while IFS= read -r f; do seed "$f"; done ;;
  layout_ron)
    for f in layouts/*.ron; do seed "$f"; done ;;
  siri_et)
    for f in "$fixtures"/siri/entur-anshar/siri-et-*.xml "$fixtures"/siri/idfm-prim-lite/*.json \
      "$fixtures"/siri/cen-examples/siri_exm_ET/*response*.xml; do seed "$f"; done
    max_len=2200000 ;;
  siri_sm)
    for f in "$fixtures"/siri/ara-fr/stopmonitoring-* "$fixtures"/siri/cen-examples/siri_exm_SM/*response*.xml; do
      seed "$f"
    done
    max_len=1048576 ;;
  siri_sx)
    for f in "$fixtures"/siri/otp/siri-sx-lite.xml "$fixtures"/siri/entur-anshar/S*Exchange*.xml \
      "$fixtures"/siri/entur-anshar/ServiceDelivery_ruter.xml \
      "$fixtures"/siri/cen-examples/siri_exm_SX/*.xml "$fixtures"/siri/cen-examples/siri_exm_SX/VDV736_exm/*.xml; do
      seed "$f"
    done
    max_len=1048576 ;;
  siri_gm)
    for f in "$fixtures"/siri/cts-strasbourg-lite/*.json "$fixtures"/siri/ara-fr/general-message-idfm.xml \
      "$fixtures"/siri/cen-examples/siri_exm_GM/*response*.xml "$fixtures"/siri/ara-fr/invalid-xml.xml; do
      seed "$f"
    done ;;
  lorawan_uplink)
    for f in "$fixtures"/lorawan/*/*/payload*.json; do seed "$f" "-$(printf %s "$f" | cksum | cut -d" " -f1)"; done
    # Raw payloads: the port, then the bytes.
    printf '\x01\x95' >"$seeds/nwave-status.bin"
    printf '\x03\x00\x00\x00\x00\x99\x02\x00\xd1\x00\x05\x00\x00\x00\x1d\x02\x02\x00' >"$seeds/bosch-startup.bin" ;;
  sensor_endpoint)
    # First byte: even = ChirpStack integration, odd = The Things Stack.
    for f in "$fixtures"/lorawan/*/ChirpStack/payload*.json; do seed_with 0 "$f"; done
    for f in "$fixtures"/lorawan/*/ThingsStackIndustries/payload*.json; do seed_with 1 "$f"; done ;;
  facility_datex2)
    for f in "$fixtures"/parking/parkapi-aachen-datex2/*.xml; do seed "$f"; done ;;
  facility_parkapi)
    for f in "$fixtures"/parking/parkapi-p-m-bw/*.json "$fixtures"/parking/parkapi-p-m-sensade/parking-lot-status-*.json; do
      seed "$f"
    done
    printf '%s' '{"items":[{"uid":"p1","name":"P+R","park_and_ride_type":["TRAIN"],"lat":50.1,"lon":3.4,"capacity":120,"realtime_free_capacity":37,"realtime_opening_status":"OPEN","realtime_data_updated_at":"2026-03-09T06:28:00Z"}]}' >"$seeds/v3.json"
    printf '%s' '{"last_updated":"2026-03-09T06:28:00","lots":[{"id":"p1","name":"P1","total":100,"free":12,"state":"open","coords":{"lat":50.1,"lng":3.4},"lot_type":"Parkhaus"}]}' >"$seeds/v1.json" ;;
  facility_siri_fm)
    for f in "$fixtures"/siri/otp/siri-fm.xml "$fixtures"/siri/cen-examples/siri_exm_FM/*response*.xml; do seed "$f"; done ;;
  facility_gbfs)
    for f in "$fixtures"/gbfs/motis-callabike-2.3/station_*.json "$fixtures"/gbfs/gbfs-json-schema-3.0/station_*.json; do
      seed "$f" "-$(printf %s "$f" | cksum | cut -d" " -f1)"
    done ;;
  facility_bnlc)
    printf '%s\n%s\n' 'id_lieu,id_local,nom_lieu,ad_lieu,com_lieu,insee,type,date_maj,ouvert,source,Xlong,Ylat,nbre_pl,nbre_pmr,duree,horaires,proprio,lumiere,comm' \
      '59139-C-001,CAUDRY-01,Aire de covoiturage de Caudry,Rue de la Gare,Caudry,59139,Aire de covoiturage,2026-01-05,true,CA2C,3.4106,50.1256,40,2,,24/7,CA2C,true,' >"$seeds/bnlc.csv" ;;
  *)
    echo "unknown target $target; scripts/fuzz.sh list" >&2
    exit 2 ;;
esac

echo "fuzzing $target for $seconds s, corpus $seeds ($(ls "$seeds" | wc -l) files)" >&2
set +e
cargo +nightly fuzz run -O "$target" "$seeds" -- \
  -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 >"fuzz/$target.log" 2>&1
status=$?
set -e
grep -E '^#[0-9]+.*(INITED|DONE)|stat::|ERROR|SUMMARY|Test unit written' "fuzz/$target.log" || true
exit "$status"
