package dev.databaseunit.operator.common;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;

/**
 * Metadata of the objects the operator creates for a DatabaseUnit: its namespace, labels that say who made it
 * and for which unit, and a controller owner reference so Kubernetes deletes them with the unit.
 */
public final class OwnedObjects {
  public static final String MANAGED_BY = "databaseunit-operator";
  public static final String UNIT_LABEL = "databaseunit.dev/unit";

  private OwnedObjects() {}

  /** @param component what the object is part of, e.g. postgres, pgbouncer, redis */
  public static ObjectMeta metadata(HasMetadata owner, String name, String component) {
    return new ObjectMetaBuilder().withName(name).withNamespace(owner.getMetadata().getNamespace())
        .addToLabels("app.kubernetes.io/managed-by", MANAGED_BY)
        .addToLabels("app.kubernetes.io/component", component)
        .addToLabels(UNIT_LABEL, owner.getMetadata().getName())
        .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion(owner.getApiVersion()).withKind(owner.getKind())
            .withName(owner.getMetadata().getName()).withUid(owner.getMetadata().getUid())
            .withController(true).withBlockOwnerDeletion(true).build())
        .build();
  }
}
