//! The pipeline alert (SPEC CRM-7): organisations that stay more than N days (30 by default)
//! in an open stage get one `organisation.stuck` event per stay, which notifications and
//! webhooks consume.

use anyhow::Context;
use relais_domain::TenantId;
use relais_store::{
    Db,
    events::{self, ActorRef},
    pipeline,
};
use serde_json::json;

/// Scan every active tenant; returns how many alerts were raised.
pub async fn scan_stuck(db: &Db, days: i32) -> anyhow::Result<usize> {
    let ptx = db.platform_tx().await?;
    let tenants = pipeline::active_tenants(&*ptx).await?;
    ptx.commit().await?;
    let system = ActorRef {
        kind: "system",
        id: None,
    };
    let mut raised = 0;
    for tenant in tenants {
        let tx = db.tenant_tx(TenantId(tenant)).await?;
        let stuck = pipeline::mark_stuck(&*tx, tenant, days)
            .await
            .with_context(|| format!("stuck scan of tenant {tenant}"))?;
        for s in &stuck {
            let data = json!({
                "id": s.id,
                "name": s.name,
                "pipeline_stage": s.pipeline_stage,
                "stage_changed_at": s.stage_changed_at,
                "owner_id": s.owner_id,
                "days": days,
            });
            events::record(
                &*tx,
                tenant,
                "organisation.stuck",
                "organisation",
                s.id,
                system,
                None,
                Some(&data),
            )
            .await?;
        }
        tx.commit().await?;
        raised += stuck.len();
    }
    Ok(raised)
}
