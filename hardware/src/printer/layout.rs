//! What goes on the paper: the queue ticket and the appointment receipt, drawn as
//! one bitmap at the printer's dot width (384 for 58 mm, 576 for 80 mm paper).
//! The app passes text already formatted; the layout decides sizes and order.

use super::raster::{Align, Bitmap, Weight, qr, text};

/// A queue ticket. No name, no phone: a number, a line and times.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketPrint {
    /// The centre's name, as citizens know it (wrapped to two lines if long).
    pub hall_name: String,
    /// e.g. "A023".
    pub number: String,
    /// e.g. "Hộ tịch".
    pub service_name: String,
    /// e.g. "Quầy 1, 2", when known.
    pub counters: Option<String>,
    /// Priority group label, e.g. "Người cao tuổi", for priority tickets.
    pub priority: Option<String>,
    /// Local time of issue, e.g. "08:41 23/11/2026".
    pub issued_at: String,
    pub waiting_ahead: Option<u32>,
    pub estimated_wait_minutes: Option<u32>,
    /// Where a phone can follow the ticket (printed as a QR code).
    pub follow_url: Option<String>,
    /// On result-return tickets: the dossier code.
    pub dossier_code: Option<String>,
    /// Last lines: how the queue works, the hotline.
    pub footer: String,
}

/// An appointment receipt (giấy tiếp nhận hồ sơ và hẹn trả kết quả), short form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceiptPrint {
    pub hall_name: String,
    pub dossier_code: String,
    pub procedure: String,
    /// Masked on anything public; the receipt is the citizen's own paper.
    pub citizen_name: String,
    pub received_at: String,
    pub due_at: String,
    pub return_place: String,
    /// Where the status can be looked up (printed as a QR code with the code).
    pub lookup_url: Option<String>,
    pub footer: String,
}

/// Sizes scale with the paper: the same ticket reads the same on 58 and 80 mm.
struct Scale(f32);

impl Scale {
    fn for_width(width: u32) -> Self {
        Scale(width as f32 / 576.0)
    }
    fn px(&self, at_80mm: f32) -> f32 {
        (at_80mm * self.0).round()
    }
    fn dots(&self, at_80mm: u32) -> u32 {
        (at_80mm as f32 * self.0).round() as u32
    }
}

/// Stacks pieces top to bottom with gaps.
struct Column {
    width: u32,
    parts: Vec<(Bitmap, u32)>,
}

impl Column {
    fn new(width: u32) -> Self {
        Column {
            width,
            parts: Vec::new(),
        }
    }

    fn add(&mut self, b: Bitmap, gap_before: u32) {
        self.parts.push((b, gap_before));
    }

    fn text(&mut self, s: &str, px: f32, weight: Weight, gap_before: u32) {
        let b = text(s, px, weight, Align::Center, self.width);
        self.add(b, gap_before);
    }

    fn rule(&mut self, gap_before: u32, margin: u32) {
        let mut b = Bitmap::new(self.width, 2);
        b.fill(margin, 0, self.width.saturating_sub(2 * margin), 2);
        self.add(b, gap_before);
    }

    fn finish(self) -> Bitmap {
        let height: u32 = self.parts.iter().map(|(b, gap)| b.height() + gap).sum();
        let mut out = Bitmap::new(self.width, height);
        let mut y = 0;
        for (b, gap) in &self.parts {
            y += gap;
            out.paste(b, 0, y);
            y += b.height();
        }
        out
    }
}

/// The queue ticket as the printer should print it.
pub fn ticket(t: &TicketPrint, width: u32) -> Bitmap {
    let s = Scale::for_width(width);
    let mut c = Column::new(width);
    c.text(&t.hall_name.to_uppercase(), s.px(24.0), Weight::Bold, 0);
    c.rule(s.dots(10), s.dots(40));
    c.text("SỐ THỨ TỰ", s.px(30.0), Weight::Bold, s.dots(10));
    c.text(&t.number, s.px(150.0), Weight::Bold, 0);
    if let Some(p) = &t.priority {
        c.text(&format!("✱ ƯU TIÊN: {p}"), s.px(26.0), Weight::Bold, 0);
    }
    c.text(&t.service_name, s.px(36.0), Weight::Bold, s.dots(6));
    if let Some(counters) = &t.counters {
        c.text(counters, s.px(28.0), Weight::Regular, s.dots(2));
    }
    if let Some(code) = &t.dossier_code {
        c.text(
            &format!("Mã hồ sơ: {code}"),
            s.px(24.0),
            Weight::Bold,
            s.dots(8),
        );
    }
    c.text(&t.issued_at, s.px(26.0), Weight::Regular, s.dots(10));
    if let Some(n) = t.waiting_ahead {
        c.text(
            &format!("Số người đang chờ: {n}"),
            s.px(26.0),
            Weight::Regular,
            s.dots(4),
        );
    }
    if let Some(m) = t.estimated_wait_minutes.filter(|m| *m > 0) {
        c.text(
            &format!("Thời gian chờ dự kiến: khoảng {m} phút"),
            s.px(24.0),
            Weight::Regular,
            0,
        );
    }
    if let Some(code) = t
        .follow_url
        .as_deref()
        .and_then(|url| qr(url, s.dots(6).max(3), width))
    {
        c.add(code, s.dots(6));
        c.text(
            "Quét mã để theo dõi lượt của bạn",
            s.px(22.0),
            Weight::Regular,
            0,
        );
    }
    c.rule(s.dots(10), s.dots(40));
    c.text(&t.footer, s.px(22.0), Weight::Regular, s.dots(8));
    c.finish()
}

/// The appointment receipt as the printer should print it.
pub fn receipt(r: &ReceiptPrint, width: u32) -> Bitmap {
    let s = Scale::for_width(width);
    let mut c = Column::new(width);
    c.text(&r.hall_name.to_uppercase(), s.px(24.0), Weight::Bold, 0);
    c.rule(s.dots(10), s.dots(40));
    c.text(
        "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
        s.px(28.0),
        Weight::Bold,
        s.dots(10),
    );
    c.text(
        &format!("Mã hồ sơ: {}", r.dossier_code),
        s.px(30.0),
        Weight::Bold,
        s.dots(12),
    );
    if let Some(code) = qr(
        &r.lookup_url
            .clone()
            .unwrap_or_else(|| r.dossier_code.clone()),
        s.dots(5).max(3),
        width,
    ) {
        c.add(code, s.dots(4));
    }
    let left = |c: &mut Column, label: &str, value: &str| {
        let b = text(
            &format!("{label}: {value}"),
            s.px(24.0),
            Weight::Regular,
            Align::Left,
            width,
        );
        c.add(b, s.dots(6));
    };
    left(&mut c, "Thủ tục", &r.procedure);
    left(&mut c, "Người nộp", &r.citizen_name);
    left(&mut c, "Nhận lúc", &r.received_at);
    c.text(
        &format!("Hẹn trả kết quả: {}", r.due_at),
        s.px(28.0),
        Weight::Bold,
        s.dots(12),
    );
    c.text(
        &format!("Tại: {}", r.return_place),
        s.px(24.0),
        Weight::Regular,
        s.dots(2),
    );
    c.rule(s.dots(10), s.dots(40));
    c.text(&r.footer, s.px(22.0), Weight::Regular, s.dots(8));
    c.finish()
}

/// A ticket with realistic demo content, for `print-test`, tests and benchmarks.
pub fn sample_ticket() -> TicketPrint {
    TicketPrint {
        hall_name: "Trung tâm Phục vụ hành chính công phường Hòa Bình".into(),
        number: "A023".into(),
        service_name: "Hộ tịch".into(),
        counters: Some("Quầy 1, 2".into()),
        priority: None,
        issued_at: "08:41 24/11/2026".into(),
        waiting_ahead: Some(7),
        estimated_wait_minutes: Some(15),
        follow_url: Some("http://192.168.1.10:8080/t/23".into()),
        dossier_code: None,
        footer: "Vui lòng chờ gọi số; quá lượt vui lòng lấy số mới.".into(),
    }
}

/// An appointment receipt with realistic demo content.
pub fn sample_receipt() -> ReceiptPrint {
    ReceiptPrint {
        hall_name: "Trung tâm Phục vụ hành chính công phường Hòa Bình".into(),
        dossier_code: "000.00.12.H27-261124-0042".into(),
        procedure: "Đăng ký khai sinh".into(),
        citizen_name: "Nguyễn Thị Hoa".into(),
        received_at: "08:52 24/11/2026".into(),
        due_at: "16:30 24/11/2026".into(),
        return_place: "Quầy 8 – Trả kết quả".into(),
        lookup_url: Some("http://192.168.1.10:8080/tra-cuu/000.00.12.H27-261124-0042".into()),
        footer: "Xin mang theo giấy này khi đến nhận kết quả.".into(),
    }
}
