package dev.databaseunit.operator.gdpr;

import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.api.v1alpha1.GdprRequest;
import dev.databaseunit.operator.api.v1alpha1.GdprRequestSpec;
import dev.databaseunit.operator.storage.KeyEncryptionKey;
import dev.databaseunit.operator.backup.PolicyInputs;
import dev.databaseunit.operator.cache.RedisEndpoint;
import dev.databaseunit.operator.common.UnitProblem;
import dev.databaseunit.operator.databaseunit.UnitContext;
import dev.databaseunit.operator.events.EventReason;
import dev.databaseunit.operator.postgres.DatabaseTimeouts;
import dev.databaseunit.operator.postgres.PostgresTarget;
import dev.databaseunit.operator.postgres.PostgresTargets;
import dev.databaseunit.operator.postgres.TimedDataSource;
import dev.databaseunit.operator.postgres.UnitDataSources;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * What a GdprRequest's job needs, resolved on the reconcile thread from the request, its unit and their Secrets: every
 * missing or invalid input is a {@link UnitProblem} before any work starts. The database part is null when only the
 * export storage is needed (deleting an export).
 */
record GdprInputs(GdprRequest request, DatabaseUnit unit, PostgresTarget target, DataSource dataSource, SubjectPlan plan,
    SubjectKey key, Optional<RedisEndpoint> cache, Optional<ExportTarget> exportTarget) {

  /** Where an export goes and the key it is sealed with. */
  record ExportTarget(BackupPolicySpec.ObjectStorage storage, String accessKeyId, String secretAccessKey, KeyEncryptionKey kek) {
    ExportStore open(GdprRequestReconciler.ExportStores stores) {
      return stores.open(storage, accessKeyId, secretAccessKey, kek);
    }

    @Override
    public String toString() {
      return "ExportTarget[" + storage + ", accessKeyId=" + accessKeyId + ", secretAccessKey=***, kek=" + kek + "]";
    }
  }

  /** The request's export storage alone: what deleting its export needs. */
  static ExportTarget exportTarget(GdprRequest request, DatabaseUnit unit, PostgresTargets.SecretLookup secrets,
      UnitDataSources dataSources) throws UnitProblem {
    return exportTargetOf(request, unit, secrets, dataSources).orElseThrow();
  }

  static GdprInputs resolve(GdprRequest request, DatabaseUnit unit, KubernetesClient client, PostgresTargets.SecretLookup secrets,
      UnitDataSources dataSources) throws UnitProblem {
    Optional<ExportTarget> exportTarget = exportTargetOf(request, unit, secrets, dataSources);
    SubjectPlan plan = SubjectPlan.of(unit.getSpec().gdpr());
    PostgresTarget target = PostgresTargets.resolve(unit, secrets);
    DataSource dataSource = TimedDataSource.forPurpose(dataSources.dataSource(UnitContext.keyOf(unit), target),
        DatabaseTimeouts.Purpose.GDPR);
    SubjectKey key = SubjectKeys.resolve(client, secrets, unit);
    Optional<RedisEndpoint> cache = unit.getSpec().cache() == null ? Optional.empty()
        : Optional.of(RedisEndpoint.forUnit(unit, secrets, dataSources.egress()));
    return new GdprInputs(request, unit, target, dataSource, plan, key, cache, exportTarget);
  }

  private static Optional<ExportTarget> exportTargetOf(GdprRequest request, DatabaseUnit unit, PostgresTargets.SecretLookup secrets,
      UnitDataSources dataSources) throws UnitProblem {
    if (request.getSpec().type() != GdprRequestSpec.Type.Export) {
      return Optional.empty();
    }
    String namespace = request.getMetadata().getNamespace();
    String unitName = unit.getMetadata().getName();
    var gdpr = unit.getSpec().gdpr();
    var storage = gdpr != null ? gdpr.exportStorage() : null;
    if (storage == null) {
      throw new UnitProblem(EventReason.ExportStorageInvalid,
          "DatabaseUnit " + unitName + " has no spec.gdpr.exportStorage: an Export needs a bucket to write to");
    }
    var credentials = PolicyInputs.credentials(secrets, namespace, storage, "DatabaseUnit " + unitName + " spec.gdpr.exportStorage",
        dataSources.egress());
    if (gdpr.exportEncryption() == null) {
      throw new UnitProblem(EventReason.ExportStorageInvalid, "DatabaseUnit " + unitName + " has no "
          + "spec.gdpr.exportEncryption: exports are encrypted at rest with a key-encryption key from a Secret");
    }
    var kek = PolicyInputs.kek(secrets, namespace, gdpr.exportEncryption().keyEncryptionKey());
    return Optional.of(new ExportTarget(storage, credentials != null ? credentials.accessKeyId() : null,
        credentials != null ? credentials.secretAccessKey() : null, kek));
  }
}
