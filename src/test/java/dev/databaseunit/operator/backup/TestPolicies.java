package dev.databaseunit.operator.backup;

import dev.databaseunit.operator.api.v1alpha1.BackupPolicy;
import dev.databaseunit.operator.testing.TestBucket;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * The BackupPolicy the backup ITs use: unit {@code recipes}, one daily tier, the test bucket under {@code recipes/}
 * with the {@code recipes-s3} credentials and the {@code recipes-kek} key Secrets.
 */
final class TestPolicies {
  private TestPolicies() {}

  /**
   * @param endpoint the S3 endpoint (the bucket's, or a relay in front of it)
   * @param restoreTest the flow map under {@code restoreTest:} before rto and rpo, e.g. {@code enabled: false}
   * @param moreSpec further lines of the spec, indented two spaces, or empty
   */
  static BackupPolicy policy(KubernetesClient client, String namespace, String name, TestBucket bucket, String endpoint,
      String restoreTest, String moreSpec) {
    return client.getKubernetesSerialization().unmarshal("""
        apiVersion: databaseunit.dev/v1alpha1
        kind: BackupPolicy
        metadata: {name: %s, namespace: %s}
        spec:
          databaseUnit: recipes
          schedules:
            - {tier: daily, cron: "0 0 3 * * ?", timeZone: UTC, window: 1h, retention: 30d}
          storage:
            bucket: %s
            prefix: recipes/
            endpoint: %s
            credentials: {secretName: recipes-s3}
          encryption:
            keyEncryptionKey: {name: recipes-kek, key: kek}
          restoreTest: {%s, rto: 4h, rpo: 24h}
          %s
        """.formatted(name, namespace, bucket.name(), endpoint, restoreTest, moreSpec), BackupPolicy.class);
  }
}
