//! The voice pack's words that every talking screen shares: numbers and ticket numbers
//! read the way Vietnamese halls read them, every clip a pack holds (the display's
//! calls and the kiosk's guidance), and where the shipped pack lives. Pure logic:
//! turning clips into sound is the pack's job (hardware::audio).

/// "Mời công dân có số": opens every call.
pub const CALL: &str = "call";
/// "đến quầy số": before the counter.
pub const TO_COUNTER: &str = "to_counter";
/// A short chime before an announcement.
pub const CHIME: &str = "chime";
/// "Results are ready": said now and then while results wait for pickup.
pub const RESULTS_READY: &str = "results_ready";
/// Silence between the two repetitions of a call.
pub const PAUSE: &str = "pause";

/// The kiosk's guidance, read aloud when a citizen taps "Nghe": each screen's question
/// and what to touch, and on the ticket screen the number and where to go.
pub const GUIDE_HOME: &str = "guide_home";
pub const GUIDE_PRIORITY: &str = "guide_priority";
pub const GUIDE_YOUR_NUMBER: &str = "guide_your_number";
pub const GUIDE_WAIT_FOR: &str = "guide_wait_for";
pub const GUIDE_AND: &str = "guide_and";
pub const GUIDE_TAKE_PAPER: &str = "guide_take_paper";
pub const GUIDE_NO_PAPER: &str = "guide_no_paper";
pub const GUIDE_LOOKUP: &str = "guide_lookup";
pub const GUIDE_LOOKUP_ID: &str = "guide_lookup_id";
pub const GUIDE_PROCEDURES: &str = "guide_procedures";

/// What each guidance clip says.
pub const GUIDE_TEXTS: [(&str, &str); 10] = [
    (
        GUIDE_HOME,
        "Xin mời chọn lĩnh vực để lấy số thứ tự. Các lĩnh vực là những ô lớn giữa màn hình. \
         Muốn tra cứu hồ sơ, xin chạm nút Tra cứu hồ sơ ở phía dưới.",
    ),
    (
        GUIDE_PRIORITY,
        "Ông bà có thuộc đối tượng ưu tiên không? Nếu có, xin chạm vào tên nhóm của mình. \
         Nếu không, xin chạm nút Không, lấy số thường, ở phía dưới.",
    ),
    (GUIDE_YOUR_NUMBER, "Số thứ tự của ông bà là"),
    (
        GUIDE_WAIT_FOR,
        "Xin mời ông bà ngồi chờ. Số sẽ được gọi tại quầy",
    ),
    (GUIDE_AND, "và"),
    (GUIDE_TAKE_PAPER, "Xin mời nhận phiếu ở khe bên dưới."),
    (
        GUIDE_NO_PAPER,
        "Máy in chưa in được phiếu. Xin ông bà ghi nhớ số thứ tự, hoặc hỏi cán bộ.",
    ),
    (
        GUIDE_LOOKUP,
        "Xin đưa mã trên giấy hẹn vào máy quét, hoặc nhập mã hồ sơ bằng bàn phím trên màn hình, \
         rồi chạm nút Tra cứu.",
    ),
    (
        GUIDE_LOOKUP_ID,
        "Xin nhập bốn số cuối trên thẻ căn cước của người nộp hồ sơ.",
    ),
    (
        GUIDE_PROCEDURES,
        "Xin chạm vào một lĩnh vực, rồi một thủ tục, để xem thời hạn giải quyết, \
         lệ phí và giấy tờ cần mang theo.",
    ),
];

/// Clip ids for digits 0–9: "không", "một", … "chín".
pub const DIGITS: [&str; 10] = ["d0", "d1", "d2", "d3", "d4", "d5", "d6", "d7", "d8", "d9"];
pub const MUOI_TEN: &str = "muoi"; // mười (10–19)
pub const MUOI_TENS: &str = "muoi_tens"; // mươi (20–99)
pub const MOT_ONE: &str = "mot_one"; // mốt (…1 after mươi)
pub const TU_FOUR: &str = "tu_four"; // tư (…4 after mươi)
pub const LAM_FIVE: &str = "lam_five"; // lăm (…5 after mười/mươi)
pub const LINH: &str = "linh"; // linh (zero tens before a unit)
pub const TRAM: &str = "tram"; // trăm
pub const NGHIN: &str = "nghin"; // nghìn

/// Every clip a voice pack must have, with what it says (for the generator script
/// and for people recording a real voice).
pub fn clip_texts() -> Vec<(String, &'static str)> {
    let mut v: Vec<(String, &'static str)> = vec![
        (CALL.into(), "Mời công dân có số"),
        (TO_COUNTER.into(), "đến quầy số"),
        (MUOI_TEN.into(), "mười"),
        (MUOI_TENS.into(), "mươi"),
        (MOT_ONE.into(), "mốt"),
        (TU_FOUR.into(), "tư"),
        (LAM_FIVE.into(), "lăm"),
        (LINH.into(), "linh"),
        (TRAM.into(), "trăm"),
        (NGHIN.into(), "nghìn"),
        (
            RESULTS_READY.into(),
            "Xin mời các công dân có hồ sơ đã có kết quả, đến quầy trả kết quả để nhận kết quả",
        ),
    ];
    let digits = [
        "không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín",
    ];
    v.extend(
        DIGITS
            .iter()
            .zip(digits)
            .map(|(id, text)| (id.to_string(), text)),
    );
    v.extend(LETTERS.iter().map(|(c, text)| (letter_clip(*c), *text)));
    v.extend(GUIDE_TEXTS.iter().map(|(id, text)| (id.to_string(), *text)));
    v
}

/// The clips that read numbers and ticket numbers.
pub fn number_clip_ids() -> Vec<String> {
    let mut ids: Vec<String> = DIGITS.iter().map(|d| d.to_string()).collect();
    ids.extend(
        [
            MUOI_TEN, MUOI_TENS, MOT_ONE, TU_FOUR, LAM_FIVE, LINH, TRAM, NGHIN,
        ]
        .map(String::from),
    );
    ids.extend(LETTERS.iter().map(|(c, _)| letter_clip(*c)));
    ids
}

/// Letters as Vietnamese halls say them.
const LETTERS: [(char, &str); 26] = [
    ('A', "a"),
    ('B', "bê"),
    ('C', "xê"),
    ('D', "dê"),
    ('E', "e"),
    ('F', "ép"),
    ('G', "giê"),
    ('H', "hát"),
    ('I', "i"),
    ('J', "gi"),
    ('K', "ca"),
    ('L', "e lờ"),
    ('M', "em mờ"),
    ('N', "en nờ"),
    ('O', "o"),
    ('P', "pê"),
    ('Q', "quy"),
    ('R', "e rờ"),
    ('S', "ét xì"),
    ('T', "tê"),
    ('U', "u"),
    ('V', "vê"),
    ('W', "vê kép"),
    ('X', "ích xì"),
    ('Y', "i dài"),
    ('Z', "dét"),
];

fn letter_clip(c: char) -> String {
    format!("letter_{}", c.to_ascii_lowercase())
}

/// A number as words: 15 → mười lăm, 21 → hai mươi mốt, 105 → một trăm linh năm,
/// 1023 → một nghìn không trăm hai mươi ba. Past 9999, digit by digit.
pub fn number_clips(n: u32) -> Vec<String> {
    let d = |i: u32| DIGITS[i as usize].to_string();
    match n {
        0..=9 => vec![d(n)],
        10..=99 => {
            let (tens, unit) = (n / 10, n % 10);
            let mut v = if tens == 1 {
                vec![MUOI_TEN.into()]
            } else {
                vec![d(tens), MUOI_TENS.into()]
            };
            match (tens, unit) {
                (_, 0) => {}
                (_, 5) => v.push(LAM_FIVE.into()),
                (2.., 1) => v.push(MOT_ONE.into()),
                (2.., 4) => v.push(TU_FOUR.into()),
                _ => v.push(d(unit)),
            }
            v
        }
        100..=999 => {
            let mut v = vec![d(n / 100), TRAM.into()];
            v.extend(below_hundred(n % 100));
            v
        }
        1000..=9999 => {
            let mut v = vec![d(n / 1000), NGHIN.into()];
            let rest = n % 1000;
            if rest > 0 && rest < 100 {
                v.extend([d(0), TRAM.into()]);
                v.extend(below_hundred(rest));
            } else if rest > 0 {
                v.extend(number_clips(rest));
            }
            v
        }
        _ => n
            .to_string()
            .chars()
            .map(|c| d(c.to_digit(10).unwrap_or(0)))
            .collect(),
    }
}

/// The last two digits after a hundred: nothing, "linh N", or the tens form.
fn below_hundred(n: u32) -> Vec<String> {
    match n {
        0 => Vec::new(),
        1..=9 => vec![LINH.into(), DIGITS[n as usize].into()],
        _ => number_clips(n),
    }
}

/// A ticket number read letter by letter and digit by digit: A012 → a, không, một, hai.
pub fn ticket_clips(number: &str) -> Vec<String> {
    number
        .chars()
        .filter_map(|c| match c {
            '0'..='9' => Some(DIGITS[c as usize - '0' as usize].to_string()),
            c if c.is_ascii_alphabetic() => Some(letter_clip(c)),
            _ => None,
        })
        .collect()
}

/// The default voice pack (made with espeak-ng): where the package installs it beside
/// the program (`/usr/bin/…` → `/usr/share/motcua/voice/vi`), else the repository's.
pub fn default_pack_dir() -> std::path::PathBuf {
    let installed = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.join("share/motcua/voice/vi")));
    match installed {
        Some(dir) if dir.is_dir() => dir,
        _ => std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/voice/vi"),
    }
}

/// Loads a voice pack with every clip the kiosk's guidance uses.
pub fn load_guide_pack(
    dir: &std::path::Path,
) -> Result<motcua_hardware::audio::VoicePack, motcua_hardware::audio::VoiceError> {
    let mut ids = number_clip_ids();
    ids.extend(GUIDE_TEXTS.iter().map(|(id, _)| id.to_string()));
    motcua_hardware::audio::VoicePack::load(dir, &ids)
}
