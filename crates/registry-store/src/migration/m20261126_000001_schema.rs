//! The register's tables, with what the database itself enforces: unique ID numbers (by
//! keyed hash), unique registration numbers, at most one active holding per (person,
//! review item) as a partial unique index, foreign keys, and the states a holding may be
//! in.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum ReviewItems {
    Table,
    Code,
    Name,
    Category,
    Position,
}

#[derive(DeriveIden)]
enum CalendarDays {
    Table,
    Day,
    Kind,
    Name,
}

#[derive(DeriveIden)]
enum Institutions {
    Table,
    Id,
    Name,
    Number,
    CreditCode,
    ProvincialNumber,
    NationalNumber,
    Contact,
    Active,
    Version,
}

#[derive(DeriveIden)]
enum People {
    Table,
    Id,
    Name,
    IdHash,
    IdCipher,
    IdMasked,
    BirthDate,
    Sex,
    RegistrationNumber,
    DetailSex,
    Ethnicity,
    Education,
    School,
    Major,
    Title,
    WorkUnit,
    Position,
    Mobile,
    Email,
    Province,
    City,
    District,
    Street,
    Postcode,
    Version,
}

#[derive(DeriveIden)]
enum Qualifications {
    Table,
    PersonId,
    ItemCode,
    ExamDate,
    PublishedOn,
}

#[derive(DeriveIden)]
enum Cycles {
    Table,
    Id,
    Name,
    StartDate,
    EndDate,
    CycleYears,
    ExamAgeLimit,
    RegistrationAgeLimit,
    CertificateRenewalAgeLimit,
    HoursRequiredTenths,
    RequireItemCoverage,
    CertificateDueWorkingDays,
    PublicationDueWorkingDays,
    RenewalWindowMonths,
}

#[derive(DeriveIden)]
enum Employments {
    Table,
    PersonId,
    InstitutionId,
    PasswordHash,
    Progress,
    Since,
    Version,
}

#[derive(DeriveIden)]
enum Holdings {
    Table,
    Id,
    PersonId,
    ItemCode,
    InstitutionId,
    State,
    Since,
    CycleId,
    RegisteredOn,
    ValidFrom,
    ValidUntil,
    ReleasedOn,
    ReleaseReason,
    Version,
}

#[derive(DeriveIden)]
enum Registrations {
    Table,
    Id,
    HoldingId,
    PersonId,
    ItemCode,
    InstitutionId,
    CycleId,
    RegisteredOn,
    ValidFrom,
    ValidUntil,
}

#[derive(DeriveIden)]
enum RegistrationSerials {
    Table,
    Year,
    LastSerial,
}

#[derive(DeriveIden)]
enum Courses {
    Table,
    Id,
    Name,
    StartDate,
    EndDate,
    HoursTenths,
}

#[derive(DeriveIden)]
enum CourseItems {
    Table,
    CourseId,
    ItemCode,
}

#[derive(DeriveIden)]
enum Attendance {
    Table,
    Id,
    CourseId,
    PersonId,
    HoursTenths,
    ReversesId,
    RecordedOn,
}

#[derive(DeriveIden)]
enum Assessments {
    Table,
    Id,
    PersonId,
    RecordedBy,
    ApplicantUnit,
    ItemCode,
    StartDate,
    EndDate,
    Kind,
    WorkingDays,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    At,
    Actor,
    Action,
    Entity,
    EntityId,
    PersonId,
    Before,
    After,
}

fn id(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column)
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .take()
}

fn fk(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::Restrict)
        .take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ReviewItems::Table)
                .col(
                    ColumnDef::new(ReviewItems::Code)
                        .string_len(16)
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(ReviewItems::Name).string_len(50).not_null())
                .col(
                    ColumnDef::new(ReviewItems::Category)
                        .string_len(50)
                        .not_null(),
                )
                .col(ColumnDef::new(ReviewItems::Position).integer().not_null())
                .take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(CalendarDays::Table)
                .col(
                    ColumnDef::new(CalendarDays::Day)
                        .date()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(CalendarDays::Kind)
                        .string_len(8)
                        .not_null()
                        .check(Expr::col(CalendarDays::Kind).is_in(["holiday", "workday"])),
                )
                .col(ColumnDef::new(CalendarDays::Name).string_len(50).not_null())
                .take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Institutions::Table)
                .col(id(Institutions::Id))
                .col(
                    ColumnDef::new(Institutions::Name)
                        .string_len(100)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Institutions::Number)
                        .string_len(32)
                        .not_null()
                        .unique_key(),
                )
                .col(
                    ColumnDef::new(Institutions::CreditCode)
                        .string_len(18)
                        .not_null()
                        .unique_key(),
                )
                .col(
                    ColumnDef::new(Institutions::ProvincialNumber)
                        .string_len(40)
                        .null(),
                )
                .col(
                    ColumnDef::new(Institutions::NationalNumber)
                        .string_len(40)
                        .null(),
                )
                .col(ColumnDef::new(Institutions::Contact).string_len(100).null())
                .col(ColumnDef::new(Institutions::Active).boolean().not_null())
                .col(
                    ColumnDef::new(Institutions::Version)
                        .big_integer()
                        .not_null(),
                )
                .take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(People::Table)
                .col(id(People::Id))
                .col(ColumnDef::new(People::Name).string_len(30).not_null())
                .col(
                    ColumnDef::new(People::IdHash)
                        .string_len(64)
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new(People::IdCipher).binary().not_null())
                .col(ColumnDef::new(People::IdMasked).string_len(18).not_null())
                .col(ColumnDef::new(People::BirthDate).date().not_null())
                .col(
                    ColumnDef::new(People::Sex)
                        .string_len(1)
                        .not_null()
                        .check(Expr::col(People::Sex).is_in(["M", "F"])),
                )
                .col(
                    ColumnDef::new(People::RegistrationNumber)
                        .string_len(13)
                        .null()
                        .unique_key(),
                )
                .col(ColumnDef::new(People::DetailSex).string_len(1).null())
                .col(ColumnDef::new(People::Ethnicity).string_len(20).null())
                .col(ColumnDef::new(People::Education).string_len(20).null())
                .col(ColumnDef::new(People::School).string_len(60).null())
                .col(ColumnDef::new(People::Major).string_len(60).null())
                .col(ColumnDef::new(People::Title).string_len(30).null())
                .col(ColumnDef::new(People::WorkUnit).string_len(100).null())
                .col(ColumnDef::new(People::Position).string_len(30).null())
                .col(ColumnDef::new(People::Mobile).string_len(11).null())
                .col(ColumnDef::new(People::Email).string_len(100).null())
                .col(ColumnDef::new(People::Province).string_len(20).null())
                .col(ColumnDef::new(People::City).string_len(20).null())
                .col(ColumnDef::new(People::District).string_len(20).null())
                .col(ColumnDef::new(People::Street).string_len(100).null())
                .col(ColumnDef::new(People::Postcode).string_len(6).null())
                .col(ColumnDef::new(People::Version).big_integer().not_null())
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_people_name")
                .table(People::Table)
                .col(People::Name)
                .col(People::Id)
                .take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Qualifications::Table)
                .col(
                    ColumnDef::new(Qualifications::PersonId)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Qualifications::ItemCode)
                        .string_len(16)
                        .not_null(),
                )
                .col(ColumnDef::new(Qualifications::ExamDate).date().not_null())
                .col(
                    ColumnDef::new(Qualifications::PublishedOn)
                        .date()
                        .not_null(),
                )
                .primary_key(
                    Index::create()
                        .col(Qualifications::PersonId)
                        .col(Qualifications::ItemCode),
                )
                .foreign_key(&mut fk(
                    "fk_qualifications_person",
                    (Qualifications::Table, Qualifications::PersonId),
                    (People::Table, People::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_qualifications_item",
                    (Qualifications::Table, Qualifications::ItemCode),
                    (ReviewItems::Table, ReviewItems::Code),
                ))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_qualifications_item_person")
                .table(Qualifications::Table)
                .col(Qualifications::ItemCode)
                .col(Qualifications::PersonId)
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_qualifications_published")
                .table(Qualifications::Table)
                .col(Qualifications::PublishedOn)
                .take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Cycles::Table)
                .col(id(Cycles::Id))
                .col(ColumnDef::new(Cycles::Name).string_len(40).not_null())
                .col(ColumnDef::new(Cycles::StartDate).date().not_null())
                .col(ColumnDef::new(Cycles::EndDate).date().not_null())
                .col(ColumnDef::new(Cycles::CycleYears).integer().not_null())
                .col(ColumnDef::new(Cycles::ExamAgeLimit).integer().not_null())
                .col(
                    ColumnDef::new(Cycles::RegistrationAgeLimit)
                        .integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Cycles::CertificateRenewalAgeLimit)
                        .integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Cycles::HoursRequiredTenths)
                        .integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Cycles::RequireItemCoverage)
                        .boolean()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Cycles::CertificateDueWorkingDays)
                        .integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Cycles::PublicationDueWorkingDays)
                        .integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Cycles::RenewalWindowMonths)
                        .integer()
                        .not_null(),
                )
                .check(Expr::col(Cycles::EndDate).gte(Expr::col(Cycles::StartDate)))
                .take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Employments::Table)
                .col(
                    ColumnDef::new(Employments::PersonId)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Employments::InstitutionId)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Employments::PasswordHash)
                        .string_len(200)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Employments::Progress)
                        .string_len(12)
                        .not_null()
                        .check(Expr::col(Employments::Progress).is_in([
                            "not_opened",
                            "incomplete",
                            "complete",
                        ])),
                )
                .col(ColumnDef::new(Employments::Since).date().not_null())
                .col(
                    ColumnDef::new(Employments::Version)
                        .big_integer()
                        .not_null(),
                )
                .primary_key(
                    Index::create()
                        .col(Employments::PersonId)
                        .col(Employments::InstitutionId),
                )
                .foreign_key(&mut fk(
                    "fk_employments_person",
                    (Employments::Table, Employments::PersonId),
                    (People::Table, People::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_employments_institution",
                    (Employments::Table, Employments::InstitutionId),
                    (Institutions::Table, Institutions::Id),
                ))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_employments_institution")
                .table(Employments::Table)
                .col(Employments::InstitutionId)
                .col(Employments::PersonId)
                .take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Holdings::Table)
                .col(id(Holdings::Id))
                .col(ColumnDef::new(Holdings::PersonId).big_integer().not_null())
                .col(ColumnDef::new(Holdings::ItemCode).string_len(16).not_null())
                .col(
                    ColumnDef::new(Holdings::InstitutionId)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Holdings::State)
                        .string_len(24)
                        .not_null()
                        .check(Expr::col(Holdings::State).is_in([
                            "invited",
                            "filling",
                            "awaiting_registration",
                            "registered",
                            "expired",
                            "released",
                        ])),
                )
                .col(ColumnDef::new(Holdings::Since).date().not_null())
                .col(ColumnDef::new(Holdings::CycleId).big_integer().null())
                .col(ColumnDef::new(Holdings::RegisteredOn).date().null())
                .col(ColumnDef::new(Holdings::ValidFrom).date().null())
                .col(ColumnDef::new(Holdings::ValidUntil).date().null())
                .col(ColumnDef::new(Holdings::ReleasedOn).date().null())
                .col(
                    ColumnDef::new(Holdings::ReleaseReason)
                        .string_len(200)
                        .null(),
                )
                .col(ColumnDef::new(Holdings::Version).big_integer().not_null())
                // A holding needs the qualification and the employment it stands on.
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_holdings_qualification")
                        .from_col(Holdings::PersonId)
                        .from_col(Holdings::ItemCode)
                        .to_tbl(Qualifications::Table)
                        .to_col(Qualifications::PersonId)
                        .to_col(Qualifications::ItemCode),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_holdings_employment")
                        .from_col(Holdings::PersonId)
                        .from_col(Holdings::InstitutionId)
                        .to_tbl(Employments::Table)
                        .to_col(Employments::PersonId)
                        .to_col(Employments::InstitutionId),
                )
                .foreign_key(&mut fk(
                    "fk_holdings_cycle",
                    (Holdings::Table, Holdings::CycleId),
                    (Cycles::Table, Cycles::Id),
                ))
                .take(),
        )
        .await?;
        // At most one active holding per (person, item), whatever the institution: the
        // database refuses the second, so two institutions racing for a pooled item
        // cannot both win. The same statement works on SQLite and PostgreSQL.
        m.get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_holdings_one_active \
                 ON holdings (person_id, item_code) WHERE state <> 'released'",
            )
            .await?;
        m.create_index(
            Index::create()
                .name("ix_holdings_institution")
                .table(Holdings::Table)
                .col(Holdings::InstitutionId)
                .col(Holdings::State)
                .col(Holdings::PersonId)
                .take(),
        )
        .await?;
        // A person's holdings, by state: serves every per-person lookup (the public
        // search's "registered and valid today" included) without the planner being
        // tempted by a state-wide index.
        m.create_index(
            Index::create()
                .name("ix_holdings_person_state")
                .table(Holdings::Table)
                .col(Holdings::PersonId)
                .col(Holdings::State)
                .take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Registrations::Table)
                .col(id(Registrations::Id))
                .col(
                    ColumnDef::new(Registrations::HoldingId)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Registrations::PersonId)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Registrations::ItemCode)
                        .string_len(16)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Registrations::InstitutionId)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Registrations::CycleId)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Registrations::RegisteredOn)
                        .date()
                        .not_null(),
                )
                .col(ColumnDef::new(Registrations::ValidFrom).date().not_null())
                .col(ColumnDef::new(Registrations::ValidUntil).date().not_null())
                .foreign_key(&mut fk(
                    "fk_registrations_holding",
                    (Registrations::Table, Registrations::HoldingId),
                    (Holdings::Table, Holdings::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_registrations_person",
                    (Registrations::Table, Registrations::PersonId),
                    (People::Table, People::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_registrations_cycle",
                    (Registrations::Table, Registrations::CycleId),
                    (Cycles::Table, Cycles::Id),
                ))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_registrations_person")
                .table(Registrations::Table)
                .col(Registrations::PersonId)
                .take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(RegistrationSerials::Table)
                .col(
                    ColumnDef::new(RegistrationSerials::Year)
                        .integer()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(RegistrationSerials::LastSerial)
                        .integer()
                        .not_null(),
                )
                .take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Courses::Table)
                .col(id(Courses::Id))
                .col(ColumnDef::new(Courses::Name).string_len(100).not_null())
                .col(ColumnDef::new(Courses::StartDate).date().not_null())
                .col(ColumnDef::new(Courses::EndDate).date().not_null())
                .col(ColumnDef::new(Courses::HoursTenths).integer().not_null())
                .check(Expr::col(Courses::HoursTenths).gt(0))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(CourseItems::Table)
                .col(
                    ColumnDef::new(CourseItems::CourseId)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(CourseItems::ItemCode)
                        .string_len(16)
                        .not_null(),
                )
                .primary_key(
                    Index::create()
                        .col(CourseItems::CourseId)
                        .col(CourseItems::ItemCode),
                )
                .foreign_key(&mut fk(
                    "fk_course_items_course",
                    (CourseItems::Table, CourseItems::CourseId),
                    (Courses::Table, Courses::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_course_items_item",
                    (CourseItems::Table, CourseItems::ItemCode),
                    (ReviewItems::Table, ReviewItems::Code),
                ))
                .take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Attendance::Table)
                .col(id(Attendance::Id))
                .col(
                    ColumnDef::new(Attendance::CourseId)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Attendance::PersonId)
                        .big_integer()
                        .not_null(),
                )
                .col(ColumnDef::new(Attendance::HoursTenths).integer().not_null())
                // An entry is reversed at most once.
                .col(
                    ColumnDef::new(Attendance::ReversesId)
                        .big_integer()
                        .null()
                        .unique_key(),
                )
                .col(ColumnDef::new(Attendance::RecordedOn).date().not_null())
                .foreign_key(&mut fk(
                    "fk_attendance_course",
                    (Attendance::Table, Attendance::CourseId),
                    (Courses::Table, Courses::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_attendance_person",
                    (Attendance::Table, Attendance::PersonId),
                    (People::Table, People::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_attendance_reverses",
                    (Attendance::Table, Attendance::ReversesId),
                    (Attendance::Table, Attendance::Id),
                ))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_attendance_person")
                .table(Attendance::Table)
                .col(Attendance::PersonId)
                .col(Attendance::CourseId)
                .take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Assessments::Table)
                .col(id(Assessments::Id))
                .col(
                    ColumnDef::new(Assessments::PersonId)
                        .big_integer()
                        .not_null(),
                )
                .col(ColumnDef::new(Assessments::RecordedBy).big_integer().null())
                .col(
                    ColumnDef::new(Assessments::ApplicantUnit)
                        .string_len(100)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Assessments::ItemCode)
                        .string_len(16)
                        .not_null(),
                )
                .col(ColumnDef::new(Assessments::StartDate).date().not_null())
                .col(ColumnDef::new(Assessments::EndDate).date().not_null())
                .col(
                    ColumnDef::new(Assessments::Kind)
                        .string_len(10)
                        .not_null()
                        .check(Expr::col(Assessments::Kind).is_in(["initial", "re_review"])),
                )
                .col(
                    ColumnDef::new(Assessments::WorkingDays)
                        .integer()
                        .not_null(),
                )
                .check(Expr::col(Assessments::EndDate).gte(Expr::col(Assessments::StartDate)))
                .foreign_key(&mut fk(
                    "fk_assessments_person",
                    (Assessments::Table, Assessments::PersonId),
                    (People::Table, People::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_assessments_institution",
                    (Assessments::Table, Assessments::RecordedBy),
                    (Institutions::Table, Institutions::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_assessments_item",
                    (Assessments::Table, Assessments::ItemCode),
                    (ReviewItems::Table, ReviewItems::Code),
                ))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_assessments_person")
                .table(Assessments::Table)
                .col(Assessments::PersonId)
                .take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(AuditLog::Table)
                .col(id(AuditLog::Id))
                .col(
                    ColumnDef::new(AuditLog::At)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(ColumnDef::new(AuditLog::Actor).string_len(100).not_null())
                .col(ColumnDef::new(AuditLog::Action).string_len(50).not_null())
                .col(ColumnDef::new(AuditLog::Entity).string_len(20).not_null())
                .col(ColumnDef::new(AuditLog::EntityId).big_integer().not_null())
                .col(ColumnDef::new(AuditLog::PersonId).big_integer().null())
                .col(ColumnDef::new(AuditLog::Before).text().null())
                .col(ColumnDef::new(AuditLog::After).text().null())
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_audit_log_person")
                .table(AuditLog::Table)
                .col(AuditLog::PersonId)
                .col(AuditLog::Id)
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_audit_log_entity")
                .table(AuditLog::Table)
                .col(AuditLog::Entity)
                .col(AuditLog::EntityId)
                .take(),
        )
        .await?;
        Ok(())
    }
}
