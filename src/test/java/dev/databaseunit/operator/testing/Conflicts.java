package dev.databaseunit.operator.testing;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * A test's edit of an object the operator writes too: fabric8's edit reads, changes and patches with the read
 * resourceVersion, so a status patch by the operator in between fails it with 409 Conflict. Read again and retry.
 */
public final class Conflicts {
  private Conflicts() {}

  public static <T> T retry(Supplier<T> edit) {
    return await().atMost(Duration.ofSeconds(30))
        .ignoreExceptionsMatching(e -> e instanceof KubernetesClientException k && k.getCode() == 409)
        .until(edit::get, Objects::nonNull);
  }
}
