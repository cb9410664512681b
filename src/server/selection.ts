import type { FragmentDefinitionNode, GraphQLResolveInfo, SelectionSetNode } from "graphql";

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
