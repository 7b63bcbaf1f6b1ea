"""The national 医保 platform's interface for designated institutions (两定机构接口).

Field names and code values follow ``shared/spec/national-interface.md``.
"""
