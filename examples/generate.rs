//! Deterministic generator for probity's sample data.
//!
//! ```text
//! cargo run --release --example generate                      # bundled data -> datasets/
//! cargo run --release --example generate -- --rows 10000000 --out /tmp/bench --only loans
//! cargo run --release --example generate -- --rows 10000000 --out /tmp/bench --only loans --shape shuffled
//! ```
//!
//! `--shape shuffled` writes the same columns shaped otherwise, for benchmarks that must not
//! depend on the shape of one file (`loans_shuffled.parquet`): row groups of 1,000,000 rows,
//! `application_id` an int64 key whose values are a dense range in shuffled order, an e-mail
//! address per loan (not per customer) of varied length with about 0.3% malformed, and other
//! weights for `purpose` and `country`. Every check of bench/suite20.yaml still passes.
//!
//! Every value comes from a fixed-seed `SplitMix64` stream keyed by the row id, and every
//! timestamp is relative to a fixed reference instant (2026-11-01T00:00:00Z), so the output is
//! byte-identical across runs and independent of the batch size (`exp`, `ln` and `powf` come
//! from the platform's libm; results are rounded to cents or 4 decimals afterwards). Large
//! tables are streamed in batches of 65 536 rows into row groups of 2^20 rows, so memory stays
//! flat at any row count.
//!
//! All names, e-mail addresses and numbers are synthetic: no real people are described.
#![allow(clippy::print_stdout, clippy::print_stderr, reason = "a command-line example reports what it wrote")]

use std::collections::BTreeMap;
use std::error::Error;
use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, Date32Array, Float64Array, Int64Array, StringArray, TimestampMicrosecondArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::basic::{Compression, ZstdLevel};
use datafusion::parquet::file::properties::WriterProperties;

type Result<T> = std::result::Result<T, Box<dyn Error>>;

// ---------------------------------------------------------------------------------------------
// Constants
// ---------------------------------------------------------------------------------------------

/// Master seed: change it and every generated value changes.
const SEED: u64 = 0x5EED_2026_1101_0000;
/// Salts that give each table its own independent stream.
const SALT_CUSTOMER: u64 = 1;
const SALT_LOAN: u64 = 2;
/// The baseline quarter: the same process, independent draws.
const SALT_BASELINE: u64 = 0xBA5E;
const BASELINE_ROWS: i64 = 5_000;
const SALT_DIRTY_LOANS: u64 = 3;
const SALT_DIRTY_CUSTOMERS: u64 = 4;
/// The shuffled shape: the order of `application_id`, and its per-loan e-mail addresses.
const SALT_SHUFFLE: u64 = 5;
const SALT_SHUFFLED_EMAIL: u64 = 6;
/// The shuffled shape's `application_id` values are `APPLICATION_BASE + 0..rows`.
const APPLICATION_BASE: i64 = 4_000_000_000;
const SHUFFLED_ROW_GROUP_ROWS: usize = 1_000_000;

const CUSTOMERS: i64 = 2000;
const DEFAULT_LOAN_ROWS: i64 = 8000;
const DIRTY_LOAN_ROWS: i64 = 8000;
const BATCH_ROWS: i64 = 65_536;
const ROW_GROUP_ROWS: usize = 1 << 20;

const SECONDS_PER_DAY: i64 = 86_400;
const MICROS_PER_SECOND: i64 = 1_000_000;
/// Applications span the 90 days before the reference instant, minus the final 6 hours.
const WINDOW_SECONDS: i64 = 90 * SECONDS_PER_DAY - 6 * 3600;

/// 30 characters: an implausible free-text `purpose`.
const LONG_PURPOSE: &str = "other_unspecified_purpose_text";

const COUNTRIES: &[(&str, u32)] =
    &[("US", 30), ("GB", 12), ("DE", 12), ("FR", 10), ("IN", 8), ("ES", 7), ("IT", 7), ("NL", 5), ("PL", 5), ("SE", 4)];
const SEGMENTS: &[(&str, u32)] = &[("retail", 70), ("premium", 20), ("business", 10)];
const GENDERS: &[(&str, u32)] = &[("female", 48), ("male", 48), ("nonbinary", 4)];
const PURPOSES: &[(&str, u32)] = &[
    ("debt_consolidation", 30),
    ("car", 20),
    ("home", 15),
    ("business", 10),
    ("education", 9),
    ("medical", 8),
    ("wedding", 4),
    ("travel", 4),
];
const TERMS: &[(i64, u32)] = &[(12, 10), (24, 20), (36, 35), (48, 15), (60, 20)];
/// Reserved example domains only (RFC 2606), so no address can reach anyone.
const EMAIL_DOMAINS: &[(&str, u32)] =
    &[("example.com", 50), ("example.org", 20), ("example.net", 15), ("mail.example.com", 10), ("corp.example.org", 5)];
/// The shuffled shape's domains: reserved names only (RFC 2606 `.test`, `.example`,
/// `example.*`), 7 to 37 characters.
const SHUFFLED_EMAIL_DOMAINS: &[(&str, u32)] = &[
    ("example.com", 30),
    ("mail.test", 15),
    ("inbox.example", 12),
    ("example.org", 10),
    ("customers.bank.example.net", 8),
    ("students.university.example", 8),
    ("mx.corp.test", 7),
    ("regional-office.subsidiary.example.org", 5),
    ("x.test", 5),
];
const SHUFFLED_PURPOSES: &[(&str, u32)] = &[
    ("car", 25),
    ("home", 20),
    ("debt_consolidation", 15),
    ("education", 12),
    ("medical", 10),
    ("business", 8),
    ("travel", 6),
    ("wedding", 4),
];
const SHUFFLED_COUNTRIES: &[(&str, u32)] =
    &[("IN", 25), ("US", 20), ("DE", 10), ("GB", 10), ("PL", 8), ("FR", 8), ("ES", 6), ("IT", 6), ("NL", 4), ("SE", 3)];

const FEMALE_NAMES: &[&str] = &[
    "Alice", "Beatriz", "Chiara", "Dorota", "Elena", "Freya", "Greta", "Hanna", "Ines", "Julia", "Klara", "Lena",
    "Maja", "Nora", "Olivia", "Priya", "Rosa", "Sofia", "Tessa", "Zoe",
];
const MALE_NAMES: &[&str] = &[
    "Aarav", "Bruno", "Carlos", "David", "Erik", "Felix", "Georg", "Hugo", "Ivan", "Jonas", "Karl", "Luca", "Marek",
    "Noah", "Oscar", "Pablo", "Rohan", "Sven", "Tomas", "Viktor",
];
const NEUTRAL_NAMES: &[&str] = &["Alex", "Charlie", "Jesse", "Kim", "Morgan", "Noa", "Quinn", "Robin", "Sam", "Sasha"];
const LAST_NAMES: &[&str] = &[
    "Andersen",
    "Bauer",
    "Brown",
    "Costa",
    "Dubois",
    "Eriksson",
    "Fischer",
    "Garcia",
    "Horvat",
    "Iyer",
    "Jansen",
    "Kowalski",
    "Kumar",
    "Lambert",
    "Lindqvist",
    "Martin",
    "Moreau",
    "Moretti",
    "Novak",
    "Okafor",
    "Petrov",
    "Rossi",
    "Schmidt",
    "Sharma",
    "Silva",
    "Smith",
    "Taylor",
    "Weber",
    "Wojcik",
    "Yilmaz",
];

// ---------------------------------------------------------------------------------------------
// Deterministic randomness
// ---------------------------------------------------------------------------------------------

const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// The `SplitMix64` finaliser: a good 64-bit mixing function.
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// `SplitMix64` generator. Rows get their own generator keyed by (table, id), so a row's values
/// do not depend on how many rows precede it or on the batch size.
struct Rng(u64);

impl Rng {
    fn keyed(salt: u64, key: i64) -> Self {
        Rng(mix64(mix64(SEED ^ salt) ^ key.cast_unsigned()))
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN_GAMMA);
        mix64(self.0)
    }

    /// Uniform in [0, 1) with 53 bits of precision.
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform integer in `lo..=hi` (modulo bias is negligible for these small ranges).
    fn int_in(&mut self, lo: i64, hi: i64) -> i64 {
        let span = (hi - lo + 1).cast_unsigned();
        lo + (self.next_u64() % span).cast_signed()
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Approximately standard normal (Irwin-Hall sum of 12 uniforms): plain arithmetic, no
    /// transcendental functions, so the draw itself is bit-identical on every platform.
    fn normal(&mut self) -> f64 {
        (0..12).map(|_| self.unit()).sum::<f64>() - 6.0
    }

    /// Lognormal with the given median and log-scale spread.
    fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        median * (sigma * self.normal()).exp()
    }

    /// Uniform index in `0..len`.
    fn index(&mut self, len: usize) -> usize {
        (self.next_u64() % len as u64) as usize
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.index(items.len())]
    }

    fn weighted<T: Copy>(&mut self, items: &[(T, u32)]) -> T {
        let total: u32 = items.iter().map(|(_, w)| w).sum();
        let mut ticket = (self.next_u64() % u64::from(total)) as u32;
        for &(item, weight) in items {
            if ticket < weight {
                return item;
            }
            ticket -= weight;
        }
        unreachable!("ticket is below the total weight")
    }

    /// A Fisher-Yates permutation of `0..n`.
    fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut items: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            let j = self.index(i + 1);
            items.swap(i, j);
        }
        items
    }
}

fn round_to(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (value * scale).round() / scale
}

// ---------------------------------------------------------------------------------------------
// Calendar helpers (proleptic Gregorian, days since 1970-01-01; Howard Hinnant's algorithms)
// ---------------------------------------------------------------------------------------------

fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn epoch_seconds(year: i64, month: i64, day: i64, hour: i64) -> i64 {
    days_from_civil(year, month, day) * SECONDS_PER_DAY + hour * 3600
}

fn format_date(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `YYYY-MM` of a microsecond timestamp, for the hive partition folder names.
fn month_of(micros: i64) -> String {
    let (y, m, _) = civil_from_days(micros.div_euclid(SECONDS_PER_DAY * MICROS_PER_SECOND));
    format!("{y:04}-{m:02}")
}

// ---------------------------------------------------------------------------------------------
// Customers
// ---------------------------------------------------------------------------------------------

/// A synthetic person. Only `customer_id`, name, segment, country and `created_at` are written
/// to the customers table; the other attributes feed the loans so that a customer's loans agree
/// with each other (same country, e-mail, gender and age).
#[derive(Clone)]
struct Customer {
    id: i64,
    name: String,
    segment: &'static str,
    country: &'static str,
    created_at: i32,
    gender: &'static str,
    age: i64,
    email: String,
    base_income: f64,
}

fn customer(id: i64) -> Customer {
    let mut rng = Rng::keyed(SALT_CUSTOMER, id);
    // gender: female 48%, male 48%, nonbinary 4%; the first name follows it.
    let gender = rng.weighted(GENDERS);
    let first = match gender {
        "female" => rng.pick(FEMALE_NAMES),
        "male" => rng.pick(MALE_NAMES),
        _ => rng.pick(NEUTRAL_NAMES),
    };
    let last = rng.pick(LAST_NAMES);
    // segment: retail 70%, premium 20%, business 10%.
    let segment = rng.weighted(SEGMENTS);
    // country: US-heavy mix of ten ISO codes (see COUNTRIES).
    let country = rng.weighted(COUNTRIES);
    // created_at: uniform over 2015-01-01 ..= 2026-06-30.
    let created_at = rng.int_in(days_from_civil(2015, 1, 1), days_from_civil(2026, 6, 30));
    // age: roughly normal around 40 (sd 12), clamped to 18..=80.
    let age = (40.0 + 12.0 * rng.normal()).round().clamp(18.0, 80.0) as i64;
    // email: first.last<1..999>@<reserved example domain>.
    let number = rng.int_in(1, 999);
    let domain = rng.weighted(EMAIL_DOMAINS);
    let email = format!("{}.{}{number}@{domain}", first.to_lowercase(), last.to_lowercase());
    // base income: lognormal, median 55k (x1.5 for premium and business), spread 0.5.
    let median = if segment == "retail" { 55_000.0 } else { 82_500.0 };
    let base_income = rng.lognormal(median, 0.5);
    Customer {
        id,
        name: format!("{first} {last}"),
        segment,
        country,
        created_at: i32::try_from(created_at).expect("date fits in i32"),
        gender,
        age,
        email,
        base_income,
    }
}

fn all_customers() -> Vec<Customer> {
    (1..=CUSTOMERS).map(customer).collect()
}

fn customers_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("customer_id", DataType::Int64, false),
        Field::new("name", DataType::Utf8, false),
        Field::new("segment", DataType::Utf8, false),
        Field::new("country", DataType::Utf8, false),
        Field::new("created_at", DataType::Date32, false),
    ]))
}

fn customers_batch(customers: &[Customer]) -> Result<RecordBatch> {
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from_iter_values(customers.iter().map(|c| c.id))),
        Arc::new(StringArray::from_iter_values(customers.iter().map(|c| &c.name))),
        Arc::new(StringArray::from_iter_values(customers.iter().map(|c| c.segment))),
        Arc::new(StringArray::from_iter_values(customers.iter().map(|c| c.country))),
        Arc::new(Date32Array::from_iter_values(customers.iter().map(|c| c.created_at))),
    ];
    Ok(RecordBatch::try_new(customers_schema(), columns)?)
}

fn write_customers_csv(path: &Path, customers: &[Customer]) -> Result<FileSummary> {
    let mut out = BufWriter::new(File::create(path)?);
    writeln!(out, "customer_id,name,segment,country,created_at")?;
    for c in customers {
        let created = format_date(i64::from(c.created_at));
        writeln!(out, "{},{},{},{},{created}", c.id, c.name, c.segment, c.country)?;
    }
    out.flush()?;
    FileSummary::of(path, customers.len() as u64)
}

// ---------------------------------------------------------------------------------------------
// Loans
// ---------------------------------------------------------------------------------------------

#[derive(Clone)]
struct LoanRecord {
    loan_id: Option<i64>,
    /// `APP-0000001` in the standard shape; unused (empty) in the shuffled one.
    application_id: String,
    /// The shuffled shape's int64 `application_id`.
    application_key: i64,
    customer_id: i64,
    amount: f64,
    income: Option<f64>,
    term_months: i64,
    purpose: &'static str,
    email: String,
    country: &'static str,
    gender: &'static str,
    age: i64,
    applied_at: i64,
    score: f64,
    approved: i64,
    repaid: i64,
}

/// Generates loan `id` of `rows`, with applications ending exactly at `newest` (epoch seconds).
struct LoanGenerator<'a> {
    customers: &'a [Customer],
    rows: i64,
    newest: i64,
    /// Keys the per-row random streams: another salt draws an independent sample.
    salt: u64,
    /// The shuffled shape's `application_id` offsets by row (`None`: the standard shape).
    shuffled: Option<Vec<u32>>,
}

/// How a loans file is shaped (see the module docs).
#[derive(Clone, Copy, PartialEq)]
enum Shape {
    Standard,
    Shuffled,
}

impl Shape {
    fn file_name(self) -> &'static str {
        match self {
            Shape::Standard => "loans.parquet",
            Shape::Shuffled => "loans_shuffled.parquet",
        }
    }

    fn row_group_rows(self) -> usize {
        match self {
            Shape::Standard => ROW_GROUP_ROWS,
            Shape::Shuffled => SHUFFLED_ROW_GROUP_ROWS,
        }
    }
}

/// A realistic address of varied length (about 12 to 60 characters), about 0.3% of them
/// malformed (no `@`, a space, two `@`, or nothing on one side).
fn varied_email(id: i64) -> String {
    let mut rng = Rng::keyed(SALT_SHUFFLED_EMAIL, id);
    let first = match rng.index(3) {
        0 => rng.pick(FEMALE_NAMES),
        1 => rng.pick(MALE_NAMES),
        _ => rng.pick(NEUTRAL_NAMES),
    }
    .to_lowercase();
    let last = rng.pick(LAST_NAMES).to_lowercase();
    let initial = &first[..1];
    let local = match rng.index(8) {
        0 => format!("{first}.{last}"),
        1 => format!("{first}.{last}{}", rng.int_in(1, 9999)),
        2 => format!("{initial}{last}"),
        3 => format!("{first}_{last}{}", rng.int_in(1950, 2008)),
        4 => format!("{first}+loans{}", rng.int_in(1, 99)),
        5 => format!("{last}.{first}.{}", rng.pick(LAST_NAMES).to_lowercase()),
        6 => format!("{initial}.{last}-{:x}", rng.next_u64() & 0xff_ffff),
        _ => format!("{first}{}", rng.int_in(1, 999_999)),
    };
    let domain = rng.weighted(SHUFFLED_EMAIL_DOMAINS);
    if !rng.chance(0.003) {
        return format!("{local}@{domain}");
    }
    match rng.index(5) {
        0 => format!("{local}.{domain}"),
        1 => format!("{first} {last}@{domain}"),
        2 => format!("{local}@@{domain}"),
        3 => format!("{local}@"),
        _ => format!("@{domain}"),
    }
}

impl LoanGenerator<'_> {
    fn loan(&self, id: i64) -> LoanRecord {
        let mut rng = Rng::keyed(self.salt, id);
        // customer_id: uniform over the 2000 customers; country, email, gender and age are the
        // customer's own.
        let customer = &self.customers[rng.int_in(0, CUSTOMERS - 1) as usize];
        // income: the customer's base income +-5%, whole units, clamped to 12k..250k;
        // 1% missing at random.
        let true_income = (customer.base_income * (0.95 + 0.1 * rng.unit())).round().clamp(12_000.0, 250_000.0);
        let income = (!rng.chance(0.01)).then_some(true_income);
        // amount: right-skewed lognormal, median 8k scaled mildly with income, spread 0.75,
        // clipped to 500..50000 (about 1% sit at the 50000 cap) and rounded to cents.
        let median = 8_000.0 * (true_income / 55_000.0).powf(0.3);
        let amount = round_to(rng.lognormal(median, 0.75).clamp(500.0, 50_000.0), 2);
        // term_months: 36 most common (35%), then 24 and 60 (20% each), 48 (15%), 12 (10%).
        let term_months = rng.weighted(TERMS);
        // purpose: debt_consolidation 30%, car 20%, home 15%, ... travel 4% (see PURPOSES).
        let purpose = rng.weighted(if self.shuffled.is_some() { SHUFFLED_PURPOSES } else { PURPOSES });
        // applied_at: ids grow with time across the window (up to 1 h of jitter backwards);
        // the last id is exactly the newest instant.
        let applied_at = self.applied_at(id, rng.int_in(0, 3599)) * MICROS_PER_SECOND;
        // score: logistic of (income up, amount down, noise), rounded to 4 decimals;
        // about two thirds of the rows are >= 0.5.
        let logit = 0.4 + 1.2 * (true_income / 55_000.0).ln() - 0.8 * (amount / 8_000.0).ln() + 0.9 * rng.normal();
        let score = round_to(1.0 / (1.0 + (-logit).exp()), 4);
        // approved: the model's decision, score >= 0.5.
        let approved = i64::from(score >= 0.5);
        // repaid: outcome label, P(repaid) = 0.35 + 0.6 * score.
        let repaid = i64::from(rng.chance(0.35 + 0.6 * score));
        // The shuffled shape: an int64 key in shuffled order, an address per loan, another
        // mix of countries (drawn last, so the other columns keep their values).
        let (application_id, application_key, email, country) = match &self.shuffled {
            None => (format!("APP-{id:07}"), 0, customer.email.clone(), customer.country),
            Some(order) => {
                let key = APPLICATION_BASE + i64::from(order[usize::try_from(id - 1).expect("ids start at 1")]);
                (String::new(), key, varied_email(id), rng.weighted(SHUFFLED_COUNTRIES))
            }
        };
        LoanRecord {
            loan_id: Some(id),
            application_id,
            application_key,
            customer_id: customer.id,
            amount,
            income,
            term_months,
            purpose,
            email,
            country,
            gender: customer.gender,
            age: customer.age,
            applied_at,
            score,
            approved,
            repaid,
        }
    }

    /// Epoch seconds: linear in the id across the window, minus `jitter` seconds, never before
    /// the window start; the last id gets no jitter so it lands exactly on `newest`.
    fn applied_at(&self, id: i64, jitter: i64) -> i64 {
        let start = self.newest - WINDOW_SECONDS;
        if self.rows <= 1 || id == self.rows {
            return self.newest;
        }
        let offset = i128::from(WINDOW_SECONDS) * i128::from(id - 1) / i128::from(self.rows - 1);
        let base = start + i64::try_from(offset).expect("offset is within the window");
        (base - jitter).max(start)
    }

    /// Loans with ids `first..first + count`.
    fn batch(&self, first: i64, count: i64) -> Vec<LoanRecord> {
        (first..first + count).map(|id| self.loan(id)).collect()
    }
}

fn loans_schema(shape: Shape) -> SchemaRef {
    let utc = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
    let application_id = if shape == Shape::Shuffled { DataType::Int64 } else { DataType::Utf8 };
    Arc::new(Schema::new(vec![
        // Nullable in clean and dirty files alike, so both share one schema.
        Field::new("loan_id", DataType::Int64, true),
        Field::new("application_id", application_id, false),
        Field::new("customer_id", DataType::Int64, false),
        Field::new("amount", DataType::Float64, false),
        Field::new("income", DataType::Float64, true),
        Field::new("term_months", DataType::Int64, false),
        Field::new("purpose", DataType::Utf8, false),
        Field::new("email", DataType::Utf8, false),
        Field::new("country", DataType::Utf8, false),
        Field::new("gender", DataType::Utf8, false),
        Field::new("age", DataType::Int64, false),
        Field::new("applied_at", utc, false),
        Field::new("score", DataType::Float64, false),
        Field::new("approved", DataType::Int64, false),
        Field::new("repaid", DataType::Int64, false),
    ]))
}

fn loans_batch(loans: &[LoanRecord], shape: Shape) -> Result<RecordBatch> {
    let int = |f: fn(&LoanRecord) -> i64| -> ArrayRef { Arc::new(Int64Array::from_iter_values(loans.iter().map(f))) };
    let float =
        |f: fn(&LoanRecord) -> f64| -> ArrayRef { Arc::new(Float64Array::from_iter_values(loans.iter().map(f))) };
    let text =
        |f: fn(&LoanRecord) -> &str| -> ArrayRef { Arc::new(StringArray::from_iter_values(loans.iter().map(f))) };
    let applied_at =
        TimestampMicrosecondArray::from_iter_values(loans.iter().map(|l| l.applied_at)).with_timezone("UTC");
    let columns: Vec<ArrayRef> = vec![
        Arc::new(loans.iter().map(|l| l.loan_id).collect::<Int64Array>()),
        if shape == Shape::Shuffled { int(|l| l.application_key) } else { text(|l| &l.application_id) },
        int(|l| l.customer_id),
        float(|l| l.amount),
        Arc::new(loans.iter().map(|l| l.income).collect::<Float64Array>()),
        int(|l| l.term_months),
        text(|l| l.purpose),
        text(|l| &l.email),
        text(|l| l.country),
        text(|l| l.gender),
        int(|l| l.age),
        Arc::new(applied_at),
        float(|l| l.score),
        int(|l| l.approved),
        int(|l| l.repaid),
    ];
    Ok(RecordBatch::try_new(loans_schema(shape), columns)?)
}

// ---------------------------------------------------------------------------------------------
// Parquet output
// ---------------------------------------------------------------------------------------------

struct FileSummary {
    path: PathBuf,
    rows: u64,
    bytes: u64,
}

impl FileSummary {
    fn of(path: &Path, rows: u64) -> Result<Self> {
        let bytes = fs::metadata(path)?.len();
        Ok(FileSummary { path: path.to_path_buf(), rows, bytes })
    }
}

/// A zstd-compressed Parquet file with default (page-level) statistics and row groups of
/// 2^20 rows.
struct ParquetOut {
    path: PathBuf,
    writer: ArrowWriter<File>,
    rows: u64,
}

impl ParquetOut {
    fn create(path: &Path, schema: SchemaRef, row_group_rows: usize) -> Result<Self> {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::default()))
            .set_max_row_group_row_count(Some(row_group_rows))
            .build();
        let writer = ArrowWriter::try_new(File::create(path)?, schema, Some(props))?;
        Ok(ParquetOut { path: path.to_path_buf(), writer, rows: 0 })
    }

    fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        self.writer.write(batch)?;
        self.rows += batch.num_rows() as u64;
        Ok(())
    }

    fn finish(self) -> Result<FileSummary> {
        self.writer.close()?;
        FileSummary::of(&self.path, self.rows)
    }
}

fn write_parquet(path: &Path, batch: &RecordBatch) -> Result<FileSummary> {
    let mut out = ParquetOut::create(path, batch.schema(), ROW_GROUP_ROWS)?;
    out.write(batch)?;
    out.finish()
}

/// Streams `rows` clean loans into one file, one 65 536-row batch at a time.
fn write_loans(path: &Path, generator: &LoanGenerator, shape: Shape) -> Result<FileSummary> {
    let mut out = ParquetOut::create(path, loans_schema(shape), shape.row_group_rows())?;
    let mut first = 1;
    while first <= generator.rows {
        let count = BATCH_ROWS.min(generator.rows - first + 1);
        out.write(&loans_batch(&generator.batch(first, count), shape)?)?;
        first += count;
    }
    out.finish()
}

/// Streams the clean loans into `dir/month=YYYY-MM/part-0.parquet` by month of `applied_at`.
/// The `month` value lives only in the folder names. The folder is recreated from scratch.
fn write_loans_by_month(dir: &Path, generator: &LoanGenerator) -> Result<Vec<FileSummary>> {
    if dir.exists() {
        fs::remove_dir_all(dir)?;
    }
    let mut outputs: BTreeMap<String, ParquetOut> = BTreeMap::new();
    let mut first = 1;
    while first <= generator.rows {
        let count = BATCH_ROWS.min(generator.rows - first + 1);
        let mut by_month: BTreeMap<String, Vec<LoanRecord>> = BTreeMap::new();
        for loan in generator.batch(first, count) {
            by_month.entry(month_of(loan.applied_at)).or_default().push(loan);
        }
        for (month, loans) in by_month {
            let out = match outputs.entry(month) {
                std::collections::btree_map::Entry::Occupied(entry) => entry.into_mut(),
                std::collections::btree_map::Entry::Vacant(entry) => {
                    let path = dir.join(format!("month={}", entry.key())).join("part-0.parquet");
                    entry.insert(ParquetOut::create(&path, loans_schema(Shape::Standard), ROW_GROUP_ROWS)?)
                }
            };
            out.write(&loans_batch(&loans, Shape::Standard)?)?;
        }
        first += count;
    }
    outputs.into_values().map(ParquetOut::finish).collect()
}

// ---------------------------------------------------------------------------------------------
// Dirty variants
// ---------------------------------------------------------------------------------------------

/// Hands out distinct row indices in a fixed shuffled order, so that no row carries two
/// defects and every count below is exact.
struct RowPicker {
    order: Vec<usize>,
    next: usize,
}

impl RowPicker {
    fn new(salt: u64, rows: usize) -> Self {
        RowPicker { order: Rng::keyed(salt, 0).permutation(rows), next: 0 }
    }

    fn take(&mut self, count: usize) -> Vec<usize> {
        let rows = self.order[self.next..self.next + count].to_vec();
        self.next += count;
        rows
    }
}

/// One line of the defect report: what was done and to how many rows.
struct Defect {
    what: String,
    rows: usize,
}

/// Applies defects to distinct rows of a table and records what it did.
struct Corruptor<'a, T> {
    rows: &'a mut [T],
    picker: RowPicker,
    rng: Rng,
    report: Vec<Defect>,
}

impl<'a, T> Corruptor<'a, T> {
    fn new(rows: &'a mut [T], salt: u64) -> Self {
        let picker = RowPicker::new(salt, rows.len());
        Corruptor { rows, picker, rng: Rng::keyed(salt, 1), report: Vec::new() }
    }

    fn note(&mut self, rows: usize, what: impl Into<String>) {
        self.report.push(Defect { what: what.into(), rows });
    }

    /// Applies `change` to `count` fresh rows.
    fn apply(&mut self, count: usize, what: &str, mut change: impl FnMut(&mut T, &mut Rng)) {
        for row in self.picker.take(count) {
            change(&mut self.rows[row], &mut self.rng);
        }
        self.note(count, what);
    }

    /// Gives `count` fresh rows the key of `count` other fresh rows; returns the (sorted)
    /// duplicated keys and the keys that disappeared.
    fn duplicate_keys<K: Copy + Ord>(&mut self, count: usize, key: impl Fn(&mut T) -> &mut K) -> (Vec<K>, Vec<K>) {
        let sources = self.picker.take(count);
        let victims = self.picker.take(count);
        let (mut duplicated, mut missing) = (Vec::new(), Vec::new());
        for (&source, &victim) in sources.iter().zip(&victims) {
            let value = *key(&mut self.rows[source]);
            missing.push(std::mem::replace(key(&mut self.rows[victim]), value));
            duplicated.push(value);
        }
        duplicated.sort_unstable();
        missing.sort_unstable();
        (duplicated, missing)
    }
}

/// Dirty loans: the clean generator over a stale window (newest 2026-10-20T00:00:00Z), then
/// fixed numbers of defects, each on rows of its own, so every count is exact.
fn dirty_loans(customers: &[Customer]) -> (Vec<LoanRecord>, Vec<Defect>) {
    let generator = LoanGenerator {
        customers,
        rows: DIRTY_LOAN_ROWS,
        newest: epoch_seconds(2026, 10, 20, 0),
        salt: SALT_LOAN,
        shuffled: None,
    };
    let mut loans = generator.batch(1, DIRTY_LOAN_ROWS);
    let mut dirt = Corruptor::new(&mut loans, SALT_DIRTY_LOANS);
    let all = dirt.rows.len();
    dirt.note(all, "stale: every applied_at is in a window ending 2026-10-20T00:00:00Z");

    dirt.duplicate_keys(20, |l| &mut l.loan_id);
    dirt.note(20, "loan_id values that occur twice (40 rows; 20 overwritten ids are missing)");
    dirt.apply(10, "null loan_id", |l, _| l.loan_id = None);
    dirt.apply(15, "negative amount (-5000..-500)", |l, rng| {
        l.amount = -round_to(500.0 + 4_500.0 * rng.unit(), 2);
    });
    dirt.apply(15, "amount above 1e7 (1e7..1e8)", |l, rng| {
        l.amount = round_to(1.0e7 + 9.0e7 * rng.unit(), 2);
    });
    dirt.apply(15, "term_months = 18 (not in 12/24/36/48/60)", |l, _| {
        l.term_months = 18;
    });
    dirt.apply(20, "email without '@' (first.last123.example.com)", |l, _| {
        l.email = l.email.replace('@', ".");
    });
    dirt.apply(20, "email with a space (first last123@example.com)", |l, _| {
        l.email = l.email.replacen('.', " ", 1);
    });
    dirt.apply(10, "purpose = \"\" (empty string)", |l, _| l.purpose = "");
    let long = format!("purpose = \"{LONG_PURPOSE}\" (30 characters)");
    dirt.apply(10, &long, |l, _| l.purpose = LONG_PURPOSE);
    dirt.apply(25, "customer_id in 5000..=6000 (no such customer)", |l, rng| {
        l.customer_id = rng.int_in(5000, 6000);
    });
    dirt.apply(30, "country = \"us\" (lowercase)", |l, _| l.country = "us");
    dirt.apply(12, "age = 150", |l, _| l.age = 150);
    dirt.apply(40, "score below 0 (-0.2..-0.01; approved = 0)", |l, rng| {
        set_score(l, -round_to(0.01 + 0.19 * rng.unit(), 4));
    });
    dirt.apply(40, "score above 1 (1.01..1.5; approved = 1)", |l, rng| {
        set_score(l, round_to(1.01 + 0.49 * rng.unit(), 4));
    });

    // Income nulls: top up the ~1% the clean generator leaves missing to exactly 8%.
    let target = all * 8 / 100;
    let inherited = dirt.rows.iter().filter(|l| l.income.is_none()).count();
    let mut added = 0;
    while inherited + added < target {
        let row = dirt.picker.take(1)[0];
        if dirt.rows[row].income.take().is_some() {
            added += 1;
        }
    }
    dirt.note(target, format!("null income (8%: {inherited} inherited + {added} added)"));
    let report = dirt.report;
    (loans, report)
}

/// Keeps `approved = score >= 0.5` true even for out-of-range scores.
fn set_score(loan: &mut LoanRecord, score: f64) {
    loan.score = score;
    loan.approved = i64::from(score >= 0.5);
}

/// Dirty customers: five rows take the `customer_id` of another row (conflicting records).
fn dirty_customers(customers: &[Customer]) -> (Vec<Customer>, Vec<Defect>) {
    let mut rows = customers.to_vec();
    let mut dirt = Corruptor::new(&mut rows, SALT_DIRTY_CUSTOMERS);
    let (duplicated, missing) = dirt.duplicate_keys(5, |c| &mut c.id);
    dirt.note(5, format!("customer_id values that occur twice ({duplicated:?}); missing: {missing:?}"));
    let report = dirt.report;
    (rows, report)
}

// ---------------------------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq)]
enum Only {
    Loans,
    Baseline,
    LoansByMonth,
    Customers,
    Dirty,
}

struct Options {
    rows: i64,
    out: PathBuf,
    only: Option<Only>,
    shape: Shape,
}

const USAGE: &str = "\
usage: cargo run --release --example generate -- [--rows N] [--out DIR] [--only TABLE] [--shape SHAPE]

  --rows N      clean loans rows (default 8000; the dirty variant always has 8000)
  --out DIR     output directory (default: datasets)
  --only TABLE  loans | baseline | loans_by_month | customers | dirty (default: everything)
  --shape SHAPE standard | shuffled: how the clean loans table is shaped (default standard;
                shuffled writes loans_shuffled.parquet, see the module docs)";

fn parse_args() -> std::result::Result<Options, String> {
    let mut options =
        Options { rows: DEFAULT_LOAN_ROWS, out: PathBuf::from("datasets"), only: None, shape: Shape::Standard };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--rows" => {
                let v = value()?;
                options.rows = v
                    .replace('_', "")
                    .parse()
                    .ok()
                    .filter(|&n: &i64| n >= 1)
                    .ok_or_else(|| format!("--rows wants a positive integer, got {v:?}"))?;
            }
            "--out" => options.out = PathBuf::from(value()?),
            "--only" => {
                let v = value()?;
                options.only = Some(match v.as_str() {
                    "loans" => Only::Loans,
                    "baseline" => Only::Baseline,
                    "loans_by_month" => Only::LoansByMonth,
                    "customers" => Only::Customers,
                    "dirty" => Only::Dirty,
                    _ => return Err(format!("--only: unknown table {v:?}")),
                });
            }
            "--shape" => {
                let v = value()?;
                options.shape = match v.as_str() {
                    "standard" => Shape::Standard,
                    "shuffled" => Shape::Shuffled,
                    _ => return Err(format!("--shape: unknown shape {v:?}")),
                };
            }
            "-h" | "--help" => return Err(String::new()),
            _ => return Err(format!("unknown argument {arg:?}")),
        }
    }
    Ok(options)
}

fn run(options: &Options) -> Result<()> {
    let wants = |table: Only| options.only.is_none_or(|only| only == table);
    let out = &options.out;
    let customers = all_customers();
    if options.shape == Shape::Shuffled && options.only != Some(Only::Loans) {
        return Err("--shape shuffled applies to the clean loans table only: add --only loans".into());
    }
    let rows = usize::try_from(options.rows)?;
    // The shuffled shape's key: row id i carries APPLICATION_BASE + order[i - 1].
    let shuffled = (options.shape == Shape::Shuffled).then(|| {
        let order = Rng::keyed(SALT_SHUFFLE, 0).permutation(rows);
        order.into_iter().map(|i| u32::try_from(i).expect("at most 2^32 rows")).collect()
    });
    let generator = LoanGenerator {
        customers: &customers,
        rows: options.rows,
        newest: epoch_seconds(2026, 10, 31, 18),
        salt: SALT_LOAN,
        shuffled,
    };
    let mut files = Vec::new();
    let mut defects = Vec::new();

    if wants(Only::Loans) {
        files.push(write_loans(&out.join(options.shape.file_name()), &generator, options.shape)?);
    }
    if wants(Only::Baseline) {
        // The previous quarter, from the same process with independent draws: the
        // reference dataset for drift checks (the clean loans should not drift from it).
        // `--only baseline --rows N` writes an N-row baseline (for benchmarks).
        let rows = if options.only == Some(Only::Baseline) { options.rows } else { BASELINE_ROWS };
        let baseline = LoanGenerator {
            customers: &customers,
            rows,
            newest: epoch_seconds(2026, 7, 31, 18),
            salt: SALT_BASELINE,
            shuffled: None,
        };
        files.push(write_loans(&out.join("loans_baseline.parquet"), &baseline, Shape::Standard)?);
    }
    if wants(Only::Customers) {
        files.push(write_parquet(&out.join("customers.parquet"), &customers_batch(&customers)?)?);
        files.push(write_customers_csv(&out.join("customers.csv"), &customers)?);
    }
    if wants(Only::LoansByMonth) {
        files.extend(write_loans_by_month(&out.join("loans_by_month"), &generator)?);
    }
    if wants(Only::Dirty) {
        let (loans, report) = dirty_loans(&customers);
        files.push(write_parquet(&out.join("dirty/loans.parquet"), &loans_batch(&loans, Shape::Standard)?)?);
        defects.push(("dirty/loans.parquet", report));
        let (rows, report) = dirty_customers(&customers);
        files.push(write_parquet(&out.join("dirty/customers.parquet"), &customers_batch(&rows)?)?);
        defects.push(("dirty/customers.parquet", report));
    }
    print!("{}", summary(&files, &defects));
    Ok(())
}

fn summary(files: &[FileSummary], defects: &[(&str, Vec<Defect>)]) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "{:<56} {:>12} {:>12}", "file", "rows", "bytes");
    for f in files {
        let _ = writeln!(text, "{:<56} {:>12} {:>12}", f.path.display(), f.rows, f.bytes);
    }
    let total: u64 = files.iter().map(|f| f.bytes).sum();
    let _ = writeln!(text, "{:<56} {:>12} {total:>12}", "total", "");
    for (file, report) in defects {
        let _ = writeln!(text, "\ndefects in {file}:");
        for d in report {
            let _ = writeln!(text, "  {:>5}  {}", d.rows, d.what);
        }
    }
    text
}

fn main() {
    let options = match parse_args() {
        Ok(options) => options,
        Err(message) => {
            if message.is_empty() {
                println!("{USAGE}");
                return;
            }
            eprintln!("error: {message}\n\n{USAGE}");
            std::process::exit(2);
        }
    };
    if let Err(error) = run(&options) {
        eprintln!("error: {error}");
        std::process::exit(1);
    }
}
