package dev.databaseunit.operator.events;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place Events are written. The same (object, reason, message) always maps to the same Event name, so a
 * retry bumps the existing Event's count instead of adding another, the way the kubelet aggregates. Messages must
 * not carry secret values: callers pass object names, never data.
 */
public final class EventRecorder {
  private static final Logger log = LoggerFactory.getLogger(EventRecorder.class);
  private static final String COMPONENT = "databaseunit-operator";

  public enum Type { Normal, Warning }

  private final KubernetesClient client;
  private final Clock clock;

  public EventRecorder(KubernetesClient client, Clock clock) {
    this.client = client;
    this.clock = clock;
  }

  public void record(HasMetadata object, Type type, EventReason reason, String message) {
    String namespace = object.getMetadata().getNamespace();
    String name = object.getMetadata().getName() + "." + digest(object.getMetadata().getUid(), reason.name(), message);
    String now = Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString();
    try {
      var events = client.v1().events().inNamespace(namespace);
      var existing = events.withName(name).get();
      if (existing != null) {
        events.withName(name).edit(e -> new EventBuilder(e)
            .withCount(e.getCount() == null ? 2 : e.getCount() + 1)
            .withLastTimestamp(now)
            .build());
        return;
      }
      events.resource(new EventBuilder()
          .withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
          .withInvolvedObject(new ObjectReferenceBuilder()
              .withApiVersion(object.getApiVersion())
              .withKind(object.getKind())
              .withName(object.getMetadata().getName())
              .withNamespace(namespace)
              .withUid(object.getMetadata().getUid())
              .withResourceVersion(object.getMetadata().getResourceVersion())
              .build())
          .withType(type.name())
          .withReason(reason.name())
          .withMessage(message)
          .withCount(1)
          .withFirstTimestamp(now)
          .withLastTimestamp(now)
          .withNewSource().withComponent(COMPONENT).endSource()
          .withReportingComponent(COMPONENT)
          .build()).create();
    } catch (KubernetesClientException e) {
      // An Event is a courtesy to humans; failing to write one must not fail the reconcile.
      log.warn("Could not record event {} on {}/{}: {}", reason, namespace, object.getMetadata().getName(), e.getMessage());
    }
  }

  private static String digest(String... parts) {
    try {
      var sha = MessageDigest.getInstance("SHA-256");
      for (String part : parts) {
        sha.update(String.valueOf(part).getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0);
      }
      return HexFormat.of().formatHex(sha.digest(), 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
