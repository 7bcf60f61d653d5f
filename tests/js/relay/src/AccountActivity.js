// An account's sent and received payments, each its own connection, refetchable by node id.
import { graphql } from "react-relay";

export const AccountActivityFragment = graphql`
  fragment AccountActivity_account on Account
  @refetchable(queryName: "AccountActivityPaginationQuery")
  @argumentDefinitions(count: { type: "Int", defaultValue: 5 }, cursor: { type: "String" }) {
    id
    type
    balance
    sent(first: $count, after: $cursor) @connection(key: "AccountActivity_sent") {
      totalCount
      edges { node { id amount to { id } } }
    }
  }
`;

export const AccountActivityQuery = graphql`
  query AccountActivityQuery($id: ID!) {
    account(id: $id) {
      ...AccountActivity_account
    }
  }
`;
