import { TypeInfo, visit, visitWithTypeInfo, type DocumentNode, type FragmentDefinitionNode, type GraphQLResolveInfo, type GraphQLSchema, type SelectionSetNode } from "graphql";

/**
 * Whether the field being resolved selects `name` directly (through fragments too), so a
 * resolver can fetch what will be asked for in the same statement instead of a second one.
 */
export function selectsField(info: GraphQLResolveInfo, name: string): boolean {
  return info.fieldNodes.some((node) => node.selectionSet !== undefined && inSet(node.selectionSet, name, info.fragments, new Set()));
}

function inSet(set: SelectionSetNode, name: string, fragments: Record<string, FragmentDefinitionNode>, seen: Set<string>): boolean {
  return set.selections.some((sel) => {
    switch (sel.kind) {
      case "Field":
        return sel.name.value === name;
      case "InlineFragment":
        return inSet(sel.selectionSet, name, fragments, seen);
      case "FragmentSpread": {
        const fragment = fragments[sel.name.value];
        if (!fragment || seen.has(sel.name.value)) return false;
        seen.add(sel.name.value);
        return inSet(fragment.selectionSet, name, fragments, seen);
      }
      default:
        return false;
    }
  });
}

/**
 * The schema coordinates ("Customer.nextBestOffers") among `wanted` that the document selects
 * anywhere (nested, through fragments and aliases), in the order first met.
 */
export function selectedCoordinates(schema: GraphQLSchema, document: DocumentNode, wanted: ReadonlySet<string>): string[] {
  const found = new Set<string>();
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field() {
        const parent = typeInfo.getParentType();
        const field = typeInfo.getFieldDef();
        if (parent && field && wanted.has(`${parent.name}.${field.name}`)) found.add(`${parent.name}.${field.name}`);
      },
    }),
  );
  return [...found];
}
