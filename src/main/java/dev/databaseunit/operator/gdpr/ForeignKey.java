package dev.databaseunit.operator.gdpr;

/**
 * "Rows of {@code child} point at rows of {@code parent}": a foreign key found in pg_catalog, or the ordering a
 * join path implies (the child's subject rows are found through the parent's, so the parent must still exist).
 *
 * @param what how the edge is shown in a reason, e.g. {@code recipes.user_id references users (recipes_user_id_fkey)}
 */
public record ForeignKey(String child, String parent, String what) {}
