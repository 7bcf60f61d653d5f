// Refetching anything by its id, and several at once, as Relay's store does.
import { graphql } from "react-relay";

export const NodeLookupQuery = graphql`
  query NodeLookupQuery($id: ID!, $ids: [ID!]!) {
    node(id: $id) {
      id
      __typename
      ... on Person { name }
      ... on Account { balance }
      ... on Transaction { amount }
    }
    nodes(ids: $ids) {
      id
      ... on Address { city }
      ... on Phone { type }
    }
  }
`;
