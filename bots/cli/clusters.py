"""`consulta clusters` and `consulta entities`: clusters and who implements them."""

from __future__ import annotations

from typing import Annotated

import typer

from bots.cli.common import (
    CLI_ACTOR,
    JsonFlag,
    RecIds,
    err,
    make_app,
    open_database,
    organiser_language,
    print_json,
    table,
)
from core import clusters as cluster_service
from core.i18n import gettext_for, ngettext_for

cluster_app = make_app("Clusters of recommendations followed up together.")
entity_app = make_app("Ministries and agencies responsible for implementation.")


@cluster_app.command("add")
def cluster_add(
    name: Annotated[str, typer.Argument(help="The cluster's name.")],
    description: Annotated[str, typer.Option(help="What the cluster is about.")] = "",
    recommendation: RecIds = None,
) -> None:
    """Create a cluster of recommendations."""
    with open_database() as (_settings, database), database.unit_of_work() as s:
        c = cluster_service.add_cluster(
            s,
            name=name,
            description=description,
            recommendation_ids=recommendation or [],
            actor=CLI_ACTOR,
        )
        count = len(c.recommendations)
        ngettext = ngettext_for(organiser_language())
        err.print(
            ngettext(
                "Cluster {id} added: {name}, {count} recommendation.",
                "Cluster {id} added: {name}, {count} recommendations.",
                count,
            ).format(id=c.id, name=c.name, count=count)
        )


@cluster_app.command("assign")
def cluster_assign(
    cluster: Annotated[str, typer.Argument(help="Cluster name or id.")],
    recommendation_ids: Annotated[list[int], typer.Argument(help="Recommendation ids.")],
) -> None:
    """Add recommendations to a cluster."""
    with open_database() as (_settings, database), database.unit_of_work() as s:
        found = cluster_service.find_cluster(s, cluster)
        added = cluster_service.add_to_cluster(s, found, recommendation_ids, actor=CLI_ACTOR)
        ngettext = ngettext_for(organiser_language())
        err.print(
            ngettext(
                "{count} recommendation added to {cluster}.",
                "{count} recommendations added to {cluster}.",
                added,
            ).format(count=added, cluster=found.name)
        )


@cluster_app.command("list")
def cluster_list(as_json: JsonFlag = False) -> None:
    """List clusters with their size."""
    with open_database() as (_settings, database), database.unit_of_work() as s:
        rows = [
            {
                "id": c.id,
                "name": c.name,
                "recommendations": len(c.recommendations),
                "description": c.description,
            }
            for c in cluster_service.list_clusters(s)
        ]
    if as_json:
        print_json(rows)
    else:
        _ = gettext_for(organiser_language())
        table(
            [_("id"), _("name"), _("recommendations"), _("description")],
            [list(r.values()) for r in rows],
        )


@entity_app.command("add")
def entity_add(
    name: Annotated[str, typer.Argument(help="The ministry's or agency's name.")],
    acronym: Annotated[str | None, typer.Option(help="Short name.")] = None,
    organisation: Annotated[str | None, typer.Option(help="Its organisation in Consulta.")] = None,
) -> None:
    """Register a responsible entity."""
    with open_database() as (_settings, database), database.unit_of_work() as s:
        e = cluster_service.add_entity(
            s, name=name, acronym=acronym, organisation=organisation, actor=CLI_ACTOR
        )
        _ = gettext_for(organiser_language())
        err.print(_("Responsible entity {id} added: {name}.").format(id=e.id, name=e.name))


@entity_app.command("assign")
def entity_assign(
    entity: Annotated[str, typer.Argument(help="Entity name, acronym or id.")],
    recommendation_ids: Annotated[list[int], typer.Argument(help="Recommendation ids.")],
) -> None:
    """Make an entity responsible for recommendations."""
    with open_database() as (_settings, database), database.unit_of_work() as s:
        found = cluster_service.find_entity(s, entity)
        added = cluster_service.assign_entity(s, found, recommendation_ids, actor=CLI_ACTOR)
        ngettext = ngettext_for(organiser_language())
        err.print(
            ngettext(
                "{entity} is now responsible for {count} more recommendation.",
                "{entity} is now responsible for {count} more recommendations.",
                added,
            ).format(entity=found.name, count=added)
        )


@entity_app.command("list")
def entity_list(as_json: JsonFlag = False) -> None:
    """List responsible entities."""
    with open_database() as (_settings, database), database.unit_of_work() as s:
        rows = [
            {"id": e.id, "name": e.name, "acronym": e.acronym}
            for e in cluster_service.list_entities(s)
        ]
    if as_json:
        print_json(rows)
    else:
        _ = gettext_for(organiser_language())
        table([_("id"), _("name"), _("acronym")], [list(r.values()) for r in rows])
