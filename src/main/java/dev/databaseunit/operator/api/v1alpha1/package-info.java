/**
 * The operator's API, group {@code databaseunit.dev}, version {@code v1alpha1}. The CRDs in {@code crds/} are
 * generated from these classes: every bound, pattern and cross-field rule is an annotation here, so the API
 * server rejects a bad spec at {@code kubectl apply}. Spec is intent (defaults live in the CRD and are never
 * written back by the operator), status is fact.
 */
package dev.databaseunit.operator.api.v1alpha1;
