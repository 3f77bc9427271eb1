"""kpikit's shared core: one home for each concept every layer uses.

==================  ==================================================================
module              the one home of
==================  ==================================================================
``names``           sentinels (``(not set)``), ids (client, chart, file stems), domains
``measures``        stages, outcomes and every measure: label, kind, direction, formula
``fmt``             how a number prints (money, count, rate, ratio) and the escaped table
``result``          the :class:`Result` base every analysis and workshop result derives from
``money``           the one currency conversion (every money column, in every table)
``paths``           where the package finds its workbooks, templates and sample data
==================  ==================================================================

The core imports nothing from ``ingest``, ``analysis``, ``explore`` or ``report``:
they import from it.
"""
