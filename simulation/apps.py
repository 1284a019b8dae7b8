from django.apps import AppConfig


class SimulationConfig(AppConfig):
    name = "simulation"
    verbose_name = "Simulation"

    def ready(self):
        from reports import plan_sections
        from simulation import plan_check_views

        plan_sections.register(plan_check_views.plan_section)
