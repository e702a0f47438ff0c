//! Which tables an adapter runs on, for one [`Schema`]: Tessera's own (the backend's
//! statements, `T`) or the application's next-auth tables ([`AppTables`], the same code on
//! either backend). Shared by [`PostgresAdapter`](crate::PostgresAdapter) and
//! [`SqliteAdapter`](crate::SqliteAdapter).

use tessera::adapter::Adapter;

use crate::Schema;
use crate::app_pool::AppPool;
use crate::app_tables::AppTables;
use crate::{drizzle, pg_adapter, prisma};

/// The statements of one [`Schema`], over the adapter's pool.
#[derive(Clone)]
pub(crate) enum Tables<T> {
    Tessera(T),
    App(AppTables),
}

impl<T: Adapter> Tables<T> {
    /// `tessera` for [`Schema::Tessera`]; otherwise the app's tables of `schema` over `pool`.
    /// (`pg-adapter` over SQLite is refused by `migrate`, or by the first call, as
    /// PostgreSQL only.)
    pub(crate) fn new(schema: Schema, tessera: T, pool: AppPool) -> Self {
        let layout = match schema {
            Schema::Tessera => return Tables::Tessera(tessera),
            Schema::PgAdapter => &pg_adapter::LAYOUT,
            Schema::Prisma => &prisma::LAYOUT,
            Schema::Drizzle => &drizzle::LAYOUT,
        };
        Tables::App(AppTables::new(pool, layout))
    }

    /// The schema these tables are.
    pub(crate) fn schema(&self) -> Schema {
        match self {
            Tables::Tessera(_) => Schema::Tessera,
            Tables::App(t) => t.layout().schema,
        }
    }

    /// The adapter these tables make.
    pub(crate) fn adapter(&self) -> &dyn Adapter {
        match self {
            Tables::Tessera(t) => t,
            Tables::App(t) => t,
        }
    }
}
